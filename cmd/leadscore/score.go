package main

import "github.com/spf13/cobra"

func newScoreCmd() *cobra.Command {
	return &cobra.Command{Use: "score", Short: "not yet available", Hidden: true}
}
