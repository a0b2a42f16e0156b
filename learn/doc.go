// Package learn holds the binary-outcome learning and measurement that
// analytics (calibration reports, rule lift, suggested points) and predict
// (trained models) share: a dense feature matrix, regularised logistic
// regression, and the usual measures of how well a score separates leads
// that converted from leads that did not (ROC AUC, confusion at a
// threshold, quantile bins with lift and gains, calibration, log loss,
// Brier score, Wilson intervals, stratified folds).
//
// Everything is deterministic: the same inputs give bit-identical results
// whatever the number of cores, because parallel sums are reduced in a
// fixed order.
package learn
