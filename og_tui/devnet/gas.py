"""Gas estimation for the devnet: few EVM runs per estimate, none for a plain transfer."""

from __future__ import annotations

from eth.vm.spoof import SpoofTransaction

TRANSFER_GAS = 21_000
ZERO_ADDRESS = b"\x00" * 20


def is_plain_transfer(state, tx: dict, natives: dict, cap: int) -> bool:
    """True for a value transfer the sender can pay to an account without code.

    It costs exactly the intrinsic 21,000 gas, which geth also answers without running the
    EVM. Anything else (code, an EIP-7702 delegation, a system contract or precompile in
    ``natives``, call data, too little balance) is left to a real run, with its usual errors.
    """
    to = tx.get("to")
    if not to or tx.get("data") or to in natives or cap < TRANSFER_GAS:
        return False
    if state.get_code(to):
        return False
    return state.get_balance(tx.get("from") or ZERO_ADDRESS) >= tx.get("value", 0)


def estimate_gas_fast(state, transaction, cap: int | None = None) -> int:
    """Smallest gas limit that lets ``transaction`` succeed, found in few runs.

    Runs once at the block gas limit (raising the VM error if even that fails, e.g. a
    revert), then starts from the gas that run actually used: usually enough already;
    otherwise (63/64 rule, refunds) it steps up and bisects a small interval. py-evm's
    plain bisection over [intrinsic, block limit] would need ~26 runs per estimate.
    """

    def run(gas: int):
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(SpoofTransaction(transaction, gas=gas, gas_price=0))
        finally:
            state.revert(snapshot)

    top = state.gas_limit if cap is None else min(state.gas_limit, cap)
    first = run(top)
    if first.is_error:
        raise first.error
    used = max(transaction.intrinsic_gas, top - first.get_gas_remaining())

    def ok(gas: int) -> bool:
        return not run(gas).is_error

    if ok(used):
        return used
    lo, hi = used, used
    while True:
        lo, hi = hi, min(top, hi + max(hi // 8, 5_000))
        if ok(hi):
            break
        if hi == top:
            return top
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
