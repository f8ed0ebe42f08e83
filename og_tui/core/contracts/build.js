// Rebuild PriceHistoryInference.json from PriceHistoryInference.sol with solc-js.
//
//   mkdir -p /tmp/solc && (cd /tmp/solc && npm init -y && npm install solc@0.8.28)
//   NODE_PATH=/tmp/solc/node_modules node og_tui/core/contracts/build.js
//
// The output is deterministic (no metadata hash appended), so a rebuild with the same
// compiler gives the same bytes; tests/workflows/test_contract_artifact.py checks the
// committed artifact against the reference ABI and the source hash.
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const solc = require("solc");

const here = __dirname;
const name = "PriceHistoryInference";
const source = fs.readFileSync(path.join(here, name + ".sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { [name + ".sol"]: { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    viaIR: true,
    metadata: { bytecodeHash: "none", appendCBOR: false },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);
const c = output.contracts[name + ".sol"][name];
const artifact = {
  contractName: name,
  compiler: "solc-js " + solc.version(),
  settings: input.settings,
  sourceSha256: crypto.createHash("sha256").update(source).digest("hex"),
  abi: c.abi,
  bytecode: c.evm.bytecode.object,
  deployedBytecode: c.evm.deployedBytecode.object,
};
fs.writeFileSync(path.join(here, name + ".json"), JSON.stringify(artifact, null, 1) + "\n");
console.log(`${name}: ${artifact.bytecode.length / 2} bytes init code, ${artifact.deployedBytecode.length / 2} bytes runtime (${artifact.compiler})`);
