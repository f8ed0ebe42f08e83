"""DevnetNode: the devnet's chain, its system contracts and its faucet, behind one lock.

This is the extension point for other devnet features::

    node = DevnetNode(data_dir)            # opens (or creates) the chain in data_dir
    node.register_native(address, handler) # adds a system contract (see native.py)
    with node.lock:                         # every chain access goes through this lock
        node.chain.get_balance(addr)

Example handler (gas, storage, a log, a revert)::

    from og_tui.devnet.native import NativeCall, selector, topic
    from eth_abi import encode

    COUNTER = 0
    BUMPED = topic("Bumped(address,uint256)")

    def counter(call: NativeCall) -> bytes:
        if call.selector == selector("bump()"):
            n = call.sload(COUNTER) + 1          # charges SLOAD gas
            call.sstore(COUNTER, n)              # EVM storage of call.address
            call.emit([BUMPED, int.from_bytes(call.sender, "big")], encode(["uint256"], [n]))
            return encode(["uint256"], [n])
        if call.selector == selector("get()"):
            call.use_gas(100, "get")
            return encode(["uint256"], [call.sload(COUNTER)])
        call.revert("counter: unknown function")   # Error(string), web3 ContractLogicError

    node.register_native(bytes.fromhex("00" * 19 + "f6"), counter, name="counter")
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import is_checksum_address, is_hex_address, to_canonical_address, to_checksum_address

from og_tui.core import constants
from og_tui.devnet.chain import DevChain
from og_tui.devnet.chain_errors import ChainError
from og_tui.devnet.compat_x402 import x402_domain_note
from og_tui.devnet.limits import DevnetLimits
from og_tui.devnet.native import NativeHandler, selector
from og_tui.devnet.token import OUSDCToken, balance_slot

MINT_SELECTOR = selector("devnetMint(address,uint256)")


@dataclass
class DevnetConfig:
    chain_id: int = constants.DEVNET_CHAIN_ID
    block_gas_limit: int = constants.DEVNET_BLOCK_GAS_LIMIT
    faucet_native_wei: int = 10 * 10**18
    faucet_token_units: int = 1_000 * 10**constants.OUSDC_DECIMALS
    dev_account_token_units: int = 10_000 * 10**constants.OUSDC_DECIMALS
    faucet_opg_units: int = 1_000 * 10**constants.OPG_DECIMALS  # x402 v2 token (opg.py)
    dev_account_opg_units: int = 10_000 * 10**constants.OPG_DECIMALS
    x402_network: str = constants.DEVNET_X402_NETWORK
    # the payment token's EIP-712 domain (name, chainId); see og_tui.devnet.compat_x402
    x402_chain_id: int = 0  # 0: the chain's own id
    payment_token_name: str = constants.OUSDC_NAME
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def x402_domain_chain_id(self) -> int:
        return self.x402_chain_id or self.chain_id


class FaucetError(ValueError):
    """A faucet request with a bad address (message is user-facing)."""


def _addr(value: str) -> bytes:
    return to_canonical_address(value)


class DevnetNode:
    def __init__(
        self, data_dir: str | Path, config: DevnetConfig | None = None, limits: DevnetLimits | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.config = config or DevnetConfig()
        self.limits = limits or DevnetLimits()
        self.lock = threading.RLock()
        self.started_at = time.time()
        self.chain = DevChain(self.data_dir, self.config.chain_id, self.config.block_gas_limit)
        self.chain.gas_cap = self.limits.gas_cap
        self.chain.evm_timeout = self.limits.evm_timeout
        self.chain.tx_timeout = self.limits.tx_timeout
        # the faucet account is generated per data dir; its key is never printed
        self.token_address = _addr(constants.OUSDC_ADDRESS)
        self._token: OUSDCToken | None = None
        self._signers: dict = {}  # key hex -> LocalAccount (node-owned dev/faucet keys only)
        with self.lock:
            self.chain.register_native(self.token_address, self._token_handler, name="OUSDC")
            from og_tui.devnet.inference_hub import install as _install_inference

            _install_inference(self)  # inference hub + 0xF4 precompile (inference_hub.py)
            from og_tui.devnet import opg

            self._opg = opg.install(self)  # x402 v2: OPG, Permit2 and the x402 proxies (opg.py, permit2.py)
            self.chain.open(extra_genesis=self._genesis)
            opg.ready(self, self._opg)
            self._token = OUSDCToken(
                self.token_address,
                self.config.x402_domain_chain_id,
                minter=self.chain.faucet_address,
                name=self.config.payment_token_name,
                symbol=constants.OUSDC_NAME,
                version=constants.OUSDC_VERSION,
                decimals=constants.OUSDC_DECIMALS,
            )
        from og_tui.devnet.rpc import RpcDispatcher

        self.rpc = RpcDispatcher(self)

    # -- genesis --------------------------------------------------------------------------
    def _genesis(self, alloc: dict) -> None:
        token = OUSDCToken(self.token_address, self.config.chain_id, minter=None)
        units = self.config.dev_account_token_units
        storage = token.genesis_storage({_addr(a.address): units for a in self.chain.dev_accounts})
        alloc[self.token_address]["storage"] = storage
        from og_tui.devnet import opg

        opg.genesis(alloc, self.chain.dev_accounts, self.config.dev_account_opg_units)

    def _token_handler(self, call):
        return self._token(call)

    # -- extension API -----------------------------------------------------------------------
    def register_native(self, address: str | bytes, handler: NativeHandler, name: str | None = None) -> None:
        """Install ``handler`` as a system contract at ``address`` (hex string or 20 bytes).

        The address gets one byte of code if it has none (so Solidity ``extcodesize``
        checks pass); that edit is sealed in a block the first time only.
        """
        raw = _addr(address) if isinstance(address, str) else bytes(address)
        with self.lock:
            self.chain.register_native(raw, handler, name=name)

    @property
    def dev_accounts(self):
        return self.chain.dev_accounts

    @property
    def faucet_address(self) -> str:
        return to_checksum_address(self.chain.faucet_address)

    def health(self) -> dict:
        with self.lock:
            block = self.chain.block_number
        return {"status": "ok", "chain_id": self.config.chain_id, "block": block}

    def info(self, base_url: str) -> dict:
        base_url = base_url.rstrip("/")
        return {
            "chain_id": self.config.chain_id,
            "x402_network": self.config.x402_network,
            "x402_chain_id": self.config.x402_domain_chain_id,
            "base_url": base_url,
            "rpc_url": f"{base_url}/rpc",
            "hub_url": f"{base_url}/api/v0",
            "auth_url": f"{base_url}/auth",
            "llm_url": base_url,
            "api_url": base_url,
            "contracts": {
                "inference_hub": constants.INFERENCE_HUB_ADDRESS,
                "inference_precompile": constants.INFERENCE_PRECOMPILE_ADDRESS,
                "price_feed_precompile": constants.PRICE_FEED_PRECOMPILE_ADDRESS,
                "scheduler": constants.SCHEDULER_ADDRESS,
                "tee_registry": constants.TEE_REGISTRY_ADDRESS,
                "payment_token": constants.OUSDC_ADDRESS,
                "opg_token": constants.OPG_DEVNET_ADDRESS,
                "permit2": constants.PERMIT2_ADDRESS,
                "x402_exact_permit2_proxy": constants.X402_EXACT_PERMIT2_PROXY_ADDRESS,
                "x402_upto_permit2_proxy": constants.X402_UPTO_PERMIT2_PROXY_ADDRESS,
            },
            "x402_v2": {
                "network": constants.DEVNET_X402_V2_NETWORK,
                "token": {
                    "address": constants.OPG_DEVNET_ADDRESS,
                    "name": constants.OPG_NAME,
                    "version": constants.OPG_VERSION,
                    "decimals": constants.OPG_DECIMALS,
                    "symbol": constants.OPG_NAME,
                },
                "permit2": constants.PERMIT2_ADDRESS,
            },
            "payment_token": {
                "address": constants.OUSDC_ADDRESS,
                "name": self.config.payment_token_name,
                "version": constants.OUSDC_VERSION,
                "decimals": constants.OUSDC_DECIMALS,
                "symbol": constants.OUSDC_NAME,
            },
            "dev_accounts": [{"address": a.address, "private_key": a.private_key} for a in self.dev_accounts],
            "x402_domain": x402_domain_note(self.config),
            "faucet": {
                "native_wei": self.config.faucet_native_wei,
                "token_units": self.config.faucet_token_units,
                "opg_units": self.config.faucet_opg_units,
            },
        }

    # -- signing & sending (node-owned keys only) ----------------------------------------------
    def sign_transaction(self, private_key: str | bytes, tx: dict) -> bytes:
        """Fill in nonce/gas/fees for a dev/faucet key and sign an EIP-1559 transaction."""
        acct = self._signer(private_key)
        sender = to_canonical_address(acct.address)
        with self.lock:
            nonce = tx.get("nonce")
            if nonce is None:
                nonce = self.chain.get_nonce(sender)
            gas = tx.get("gas")
            if gas is None:
                gas = self.chain.estimate_gas(dict(tx, **{"from": sender}))
            priority = tx.get("maxPriorityFeePerGas", 10**9)
            max_fee = tx.get("maxFeePerGas", tx.get("gasPrice", 2 * self.chain.next_base_fee() + priority))
        fields = {
            "type": 2,
            "chainId": self.config.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": min(priority, max_fee),
            "value": tx.get("value", 0),
            "data": tx.get("data", b""),
        }
        if tx.get("to"):
            fields["to"] = to_checksum_address(tx["to"])
        return bytes(acct.sign_transaction(fields).raw_transaction)

    def _signer(self, private_key: str | bytes):
        key = private_key.hex() if isinstance(private_key, bytes) else private_key.lower().removeprefix("0x")
        acct = self._signers.get(key)
        if acct is None:
            from eth_account import Account

            acct = self._signers[key] = Account.from_key("0x" + key)
        return acct

    def send_raw(self, raw: bytes) -> bytes:
        with self.lock:
            return self.chain.send_raw(raw)

    def token_balance(self, address: str | bytes) -> int:
        raw = _addr(address) if isinstance(address, str) else address
        with self.lock:
            return self.chain.get_storage(self.token_address, balance_slot(raw))

    # -- faucet ---------------------------------------------------------------------------------
    @staticmethod
    def parse_address(text: Any) -> bytes:
        if not isinstance(text, str) or not text.strip():
            raise FaucetError('address is required: send {"address": "0x..."}')
        text = text.strip()
        if not is_hex_address(text):
            raise FaucetError(f"not an address: {text!r} (expected 0x followed by 40 hex digits)")
        has_upper = any(c.isupper() for c in text[2:])
        has_lower = any(c.islower() for c in text[2:])
        if has_upper and has_lower and not is_checksum_address(text):
            raise FaucetError(f"address checksum mismatch: {text} (did you mean {to_checksum_address(text)}?)")
        return to_canonical_address(text)

    def faucet(self, address: str) -> dict:
        """Send native tokens, OUSDC and OPG to ``address``: three real, mined transactions."""
        to = self.parse_address(address)
        key = self.chain.faucet_key
        native = self.config.faucet_native_wei
        units = self.config.faucet_token_units
        mint_data = MINT_SELECTOR + to.rjust(32, b"\x00") + units.to_bytes(32, "big")
        with self.lock:
            native_tx = self.chain.send_raw(self.sign_transaction(key, {"to": to, "value": native, "gas": 21_000}))
            token_tx = self.chain.send_raw(
                self.sign_transaction(key, {"to": self.token_address, "data": mint_data, "gas": 120_000})
            )
            opg_data = MINT_SELECTOR + to.rjust(32, b"\x00") + self.config.faucet_opg_units.to_bytes(32, "big")
            opg_tx = self.chain.send_raw(
                self.sign_transaction(key, {"to": constants.OPG_DEVNET_ADDRESS, "data": opg_data, "gas": 120_000})
            )
        return {
            "address": to_checksum_address(to),
            "native_tx": "0x" + native_tx.hex(),
            "token_tx": "0x" + token_tx.hex(),
            "native_wei": native,
            "token_units": units,
            "opg_tx": "0x" + opg_tx.hex(),
            "opg_units": self.config.faucet_opg_units,
        }

    def close(self) -> None:
        with self.lock:
            self.chain.close()


__all__ = ["DevnetNode", "DevnetConfig", "FaucetError", "ChainError"]
