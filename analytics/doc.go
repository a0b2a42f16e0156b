// Package analytics answers, from data, the questions lead-scoring guides
// say to ask of a model before and after it goes live: does the score
// separate leads that converted from leads that did not (calibration
// report), where should the MQL threshold be for a given sales capacity or
// conversion target (threshold advice), which rules earn their points (rule
// lift and suggested points), and what would a draft have done to past
// leads (backtest and impact preview).
//
// Scores always come from the engine (package scoring): a lead is read with
// the same readers as `leadscore score` (package ingest), turned into a
// scoring.Input, and evaluated as of the instant a question needs. Events
// after that instant never count, because the engine's State cuts the
// lead's history at the as-of time.
//
// Leads, events and outcomes come through the Source interface. FileSource
// reads the lead and event files through the offline pipeline (package
// batch), in bounded memory, with outcomes in lead columns; a store-backed
// source can implement the same interface.
package analytics
