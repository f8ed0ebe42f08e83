// SPDX-License-Identifier: MIT
// og-tui: an alpha workflow contract with the ABI of OpenGradient's PriceHistoryInference.
//
// run() asks the price-feed precompile (0x...F5) to fetch price candles for the stored
// query, feed them to the stored model and return the ModelOutput; the result is kept
// (ABI-encoded, one entry per run) and emitted. Reads return the stored encodings as they
// are (a stored entry IS the ABI encoding of `ModelOutput`), so any client decodes them
// with the ModelOutput ABI type.
//
// Extensions over the reference ABI (read-only, so the reference ABI stays a subset):
// resultCount(), inputCandleTypes(), getLastRunTimes(n).
//
// Rebuild: see build.md next to this file.
pragma solidity 0.8.28;

struct Number {
    int128 value;
    int128 decimals;
}

struct NumberTensor {
    string name;
    Number[] values;
    uint32[] shape;
}

struct StringTensor {
    string name;
    string[] values;
}

struct JsonTensor {
    string name;
    string value;
}

struct ModelOutput {
    NumberTensor[] numbers;
    StringTensor[] strings;
    JsonTensor[] jsons;
    bool is_simulation_result;
}

struct HistoricalInputQuery {
    string base;
    string quote;
    uint32 total_candles;
    uint32 candle_duration_in_mins;
    uint8 order;
    uint8[] candle_types;
}

interface IPriceFeed {
    function runInferenceOnPriceFeed(
        string calldata modelId,
        string calldata inputName,
        HistoricalInputQuery calldata query
    ) external returns (ModelOutput memory);
}

contract PriceHistoryInference {
    address public immutable historicalContract = 0x00000000000000000000000000000000000000F5;

    string public modelId;
    string public inputName;
    // the public getter omits the dynamic array: (base, quote, total_candles, duration, order)
    HistoricalInputQuery public inputQuery;

    bytes[] private results; // abi.encode(ModelOutput) per run, oldest first
    uint64[] private runTimes; // block timestamp per run

    event InferenceResultEmitted(address indexed caller, ModelOutput result);

    constructor(string memory _modelId, string memory _inputName, HistoricalInputQuery memory _query) {
        require(bytes(_modelId).length > 0, "model id is empty");
        require(bytes(_inputName).length > 0, "input name is empty");
        require(_query.total_candles > 0, "total_candles must be positive");
        require(_query.candle_duration_in_mins > 0, "candle_duration_in_mins must be positive");
        require(_query.candle_types.length > 0, "candle_types is empty");
        modelId = _modelId;
        inputName = _inputName;
        inputQuery.base = _query.base;
        inputQuery.quote = _query.quote;
        inputQuery.total_candles = _query.total_candles;
        inputQuery.candle_duration_in_mins = _query.candle_duration_in_mins;
        inputQuery.order = _query.order;
        for (uint256 i = 0; i < _query.candle_types.length; i++) {
            inputQuery.candle_types.push(_query.candle_types[i]);
        }
    }

    function run() external {
        HistoricalInputQuery memory q = inputQuery;
        (bool ok, bytes memory ret) = historicalContract.call(
            abi.encodeCall(IPriceFeed.runInferenceOnPriceFeed, (modelId, inputName, q))
        );
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        ModelOutput memory out = abi.decode(ret, (ModelOutput));
        results.push(abi.encode(out)); // canonical encoding: starts with the 0x20 head word
        runTimes.push(uint64(block.timestamp));
        emit InferenceResultEmitted(msg.sender, out);
    }

    function getInferenceResult() external view returns (ModelOutput memory empty) {
        uint256 n = results.length;
        if (n == 0) {
            return empty;
        }
        bytes memory r = results[n - 1];
        assembly {
            return(add(r, 32), mload(r))
        }
    }

    /// The last `num` results, most recent first (fewer if fewer runs happened).
    function getLastInferenceResults(uint256 num) external view returns (ModelOutput[] memory) {
        uint256 total = results.length;
        uint256 n = num < total ? num : total;
        bytes[] memory picked = new bytes[](n);
        uint256 size = 64 + 32 * n;
        for (uint256 i = 0; i < n; i++) {
            bytes memory r = results[total - 1 - i];
            picked[i] = r;
            size += r.length - 32;
        }
        assembly {
            let out := mload(0x40)
            mstore(out, 32)
            mstore(add(out, 32), n)
            let heads := add(out, 64)
            let tail := mul(32, n)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let r := mload(add(add(picked, 32), mul(i, 32)))
                let len := sub(mload(r), 32)
                mstore(add(heads, mul(i, 32)), tail)
                mcopy(add(heads, tail), add(r, 64), len)
                tail := add(tail, len)
            }
            return(out, size)
        }
    }

    function resultCount() external view returns (uint256) {
        return results.length;
    }

    function inputCandleTypes() external view returns (uint8[] memory) {
        return inputQuery.candle_types;
    }

    /// Block timestamps of the last `num` runs, most recent first.
    function getLastRunTimes(uint256 num) external view returns (uint256[] memory times) {
        uint256 total = runTimes.length;
        uint256 n = num < total ? num : total;
        times = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            times[i] = runTimes[total - 1 - i];
        }
    }
}
