// Sends identify, group, track and page calls to a leadscore server through
// the official Segment Node SDK, pointed at the server as its host. The Go
// test that runs this file (e2e/node_test.go) starts the server, passes its
// URL, a write key and the ids to use in the environment, and afterwards
// checks through the REST API that everything arrived and was scored.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Analytics } from '@segment/analytics-node'

function env(name) {
  const v = process.env[name]
  assert.ok(v, `${name} must be set (this file is run by the Go e2e tests)`)
  return v
}

test('Segment Node SDK calls reach leadscore', async () => {
  const host = env('LEADSCORE_URL')
  const writeKey = env('LEADSCORE_WRITE_KEY')
  const userId = env('LEADSCORE_USER_ID')
  const groupId = env('LEADSCORE_GROUP_ID')
  const email = env('LEADSCORE_EMAIL')

  const analytics = new Analytics({ writeKey, host, flushAt: 2, flushInterval: 100, maxRetries: 3 })
  const statuses = []
  analytics.on('http_response', (r) => statuses.push(r.status))
  const errors = []
  analytics.on('error', (e) => errors.push(e))

  // Each call's callback runs once its batch was delivered (or failed).
  const delivered = (call, message) =>
    new Promise((resolve, reject) => {
      analytics[call](message, (err) => (err ? reject(err) : resolve()))
    })

  const at = new Date()
  await Promise.all([
    delivered('identify', {
      userId,
      traits: { email, firstName: 'Ada', lastName: 'Node', title: 'VP Engineering' },
      timestamp: at,
    }),
    delivered('group', {
      userId,
      groupId,
      traits: { name: 'Node Example Corp', domain: 'node-example-corp.com', employees: 1200, industry: 'Software' },
      timestamp: at,
    }),
    delivered('track', {
      userId,
      event: 'demo.requested',
      properties: { plan: 'enterprise' },
      timestamp: at,
    }),
    delivered('page', {
      userId,
      name: 'Pricing',
      properties: { path: '/pricing', url: 'https://node-example-corp.com/pricing' },
      timestamp: at,
    }),
  ])
  await analytics.closeAndFlush({ timeout: 20000 })

  assert.deepEqual(errors, [], 'the SDK reported errors')
  assert.ok(statuses.length > 0, 'no request reached the server')
  for (const s of statuses) {
    assert.equal(s, 200, `the server answered ${s}`)
  }
})
