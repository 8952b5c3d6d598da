#!/usr/bin/env node
// The peer side of tests/differential.rs: evaluates IAM condition blocks with
// @cloud-copilot/iam-simulate, an independent implementation of IAM's condition
// operators. Test-time only (AGPL-3.0): never a dependency of the oidc-doctor crate.
//
// Input (a file named on the command line, or stdin): a JSON array of cases
//   { "id": 7, "policy": "<policy document text>", "context": { "key": "v" | ["v", ...] } }
// where the policy has one statement whose Condition is the block under test.
// Output (stdout): a JSON array, one result per case, in input order:
//   { "id": 7, "block": "Match" | "NoMatch",
//     "conditions": [ { "operator": "...", "key": "...", "matches": true } ] }
// or { "id": 7, "error": "..." } when the peer threw.
'use strict';

const fs = require('fs');
const path = require('path');

// iam-simulate's package.json only exports its index, which does not re-export the
// condition evaluator, so load the files by path from the installed package.
let simulateRoot;
let policyLib;
try {
  simulateRoot = path.dirname(require.resolve('@cloud-copilot/iam-simulate'));
  policyLib = require('@cloud-copilot/iam-policy');
} catch (e) {
  process.stderr.write(
    'peer.js: @cloud-copilot/iam-simulate is not installed; run `npm ci --prefix tests/peer`\n'
  );
  process.exit(3);
}
// The lockfile pins the version; refuse a stale or hand-installed copy.
for (const [name, root] of [
  ['@cloud-copilot/iam-simulate', path.join(simulateRoot, '..', '..')],
  ['@cloud-copilot/iam-policy', path.join(path.dirname(require.resolve('@cloud-copilot/iam-policy')), '..', '..')]
]) {
  const wanted = require('./package.json').dependencies[name];
  const installed = require(path.join(root, 'package.json')).version;
  if (installed !== wanted) {
    process.stderr.write(
      `peer.js: ${name} ${installed} is installed but package.json pins ${wanted}; run \`npm ci --prefix tests/peer\`\n`
    );
    process.exit(3);
  }
}

const { requestMatchesConditions, singleConditionMatchesRequest } = require(
  path.join(simulateRoot, 'condition', 'condition.js')
);
const { RequestContextImpl } = require(path.join(simulateRoot, 'requestContext.js'));
const { DiscoveryContextKeyConstraints } = require(
  path.join(simulateRoot, 'context_keys', 'discoveryContextKeyConstraints.js')
);

// Strict mode: the request context is authoritative (no Discovery guessing). The
// evaluator consults the Discovery constraints even in Strict mode, so give it an
// empty set.
const simulationParameters = {
  simulationMode: 'Strict',
  discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
};

// The two methods condition.js calls on a request (as AwsRequestImpl provides them),
// without the principal/action/resource parts a full request needs.
function makeRequest(contextValues) {
  const context = new RequestContextImpl(contextValues);
  return {
    contextKeyExists: (key) => context.contextKeyExists(key),
    getContextKeyValue: (key) => {
      if (!context.contextKeyExists(key)) {
        throw new Error(`Invalid context key: ${key}`);
      }
      return context.contextKeyValue(key);
    }
  };
}

function evaluateCase(c) {
  const doc = JSON.parse(c.policy);
  const conditions = policyLib.loadPolicy(doc).statements()[0].conditions();
  const request = makeRequest(c.context);
  const block = requestMatchesConditions(request, conditions, 'Allow', simulationParameters);
  return {
    id: c.id,
    block: block.matches,
    conditions: conditions.map((condition) => ({
      operator: condition.operation().value(),
      key: condition.conditionKey(),
      matches: singleConditionMatchesRequest(request, condition, simulationParameters).matches
    }))
  };
}

function main() {
  const input = process.argv[2] ? fs.readFileSync(process.argv[2], 'utf8') : fs.readFileSync(0, 'utf8');
  const cases = JSON.parse(input);
  const results = cases.map((c) => {
    try {
      return evaluateCase(c);
    } catch (e) {
      return { id: c.id, error: String((e && e.stack) || e) };
    }
  });
  process.stdout.write(JSON.stringify(results));
}

main();
