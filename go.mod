module github.com/leadscore/leadscore

go 1.26.8

require (
	github.com/AfterShip/email-verifier v1.4.1
	github.com/x-way/crawlerdetect v0.2.31
)

require (
	github.com/expr-lang/expr v1.17.8 // indirect
	github.com/hbollon/go-edlib v1.6.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
