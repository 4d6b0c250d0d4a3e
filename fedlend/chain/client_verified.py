"""The client's verified-model calls: models whose scores a zero-knowledge verifier checks."""

from __future__ import annotations

from collections.abc import Sequence

from web3 import Web3

from fedlend.chain.client_core import digest_arg
from fedlend.chain.client_writes import ContractWrites, RoundReceipt, terms_args
from fedlend.chain.rpc import Sent
from fedlend.chain.terms import ModelTerms, ProofClaim
from fedlend.types import Digest


class VerifiedCalls(ContractWrites):
    """Posting, reading and judging a verified model (each score comes with its proof)."""

    def create_verified_model(
        self, terms: ModelTerms, verifier: str, claim: ProofClaim
    ) -> Sent[int]:
        """As create_model, with a proof by `verifier` of the initial score for the weights
        (sha256 of the proof's public weights); the proof's data commitment is fixed for every
        round."""
        call = self.contract.functions.createVerifiedModel(
            *terms_args(terms),
            Web3.to_checksum_address(verifier),
            bytes(claim.proof),
            list(claim.instances),
        )
        return self._created(call, terms.bounty_wei)

    def get_verification(self, model_id: int) -> tuple[str, bytes] | None:
        """A verified model's (verifier address, data commitment); None if it is unverified."""
        verifier, commitment = self._call("getVerification", model_id)
        if int(verifier, 16) == 0:
            return None
        return str(verifier), bytes(commitment)

    def evaluate_verified_round(
        self,
        model_id: int,
        update_ids: Sequence[int],
        shares: Sequence[int],
        *,
        score: int,
        new_weights: Digest,
        claim: ProofClaim,
    ) -> Sent[RoundReceipt]:
        """evaluate_round for a verified model, with the proof of `score` and its public outputs
        (`new_weights`: sha256 of the proof's public weights, as zk.outputs.weights_digest)."""
        call = self.contract.functions.evaluateVerifiedRound(
            model_id,
            list(update_ids),
            list(shares),
            score,
            digest_arg(new_weights),
            bytes(claim.proof),
            list(claim.instances),
        )
        return self._round_receipt(self._send(call), model_id, update_ids)
