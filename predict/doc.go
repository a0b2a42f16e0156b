// Package predict learns a lead score from outcomes. It reads leads with a
// known outcome (and their events before a cut-off), builds features
// (categories with rare levels pooled, numbers with missing flags, account
// fields, event counts and activity), guards against features that leak
// the outcome, trains gradient-boosted trees or logistic regression with
// calibrated probabilities, measures the result (cross-validated and
// out-of-time AUC, calibration, lift), and scores single leads with their
// top factors (exact TreeSHAP for trees). A trained model is a versioned
// JSON artefact that the engine scores with as a model of kind predictive.
// See docs/predictive.md.
package predict
