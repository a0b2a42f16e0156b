// Package automation turns scores into actions: qualification and lifecycle
// transitions, routing a qualified lead to an owner, follow-up deadlines
// (SLAs) in business hours, and outgoing webhooks (CloudEvents payloads,
// Standard Webhooks signatures, a retry schedule and one-attempt delivery).
//
// Everything except Deliver is a pure function of explicit inputs: the
// previous state of a lead, the new evaluations, the routing file, the
// round-robin cursors, the owners' open workloads and the current time. The
// service calls these functions inside the write transaction that changed
// the score and stores what they return (the new state, the transitions as
// history rows and outbox messages, the new cursors), so that a restart, a
// retry of the transaction or a replay computes exactly the same thing.
package automation
