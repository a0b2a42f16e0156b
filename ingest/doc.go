// Package ingest turns files from the outside world into domain values:
// CSV lead exports (canonical, HubSpot and Salesforce column names), JSONL
// leads and JSONL events. Readers stream: they hold one row or line at a
// time, so a file of any size can be read with constant memory.
//
// A bad row never stops a reader. Next returns a *RowError that names the
// line and column, and the following call moves on to the next row; any
// other error (an I/O failure) is final.
package ingest
