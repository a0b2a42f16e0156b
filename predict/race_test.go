//go:build race

package predict

// raceEnabled says the race detector is on: it slows training tenfold, so
// the slowest measurements are left to runs without it.
const raceEnabled = true
