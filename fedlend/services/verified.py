"""A verified model's spec metadata, its felt weights blob and its salted validation set.

The spec metadata keys of a verified model live here (owners, loaders and the app read them):
`VERIFIED` ("ezkl-auc-v2"), and the fixed-point scales `FEATURE_BITS` / `WEIGHT_BITS` that say
how the proven integer weights map to floats. A verified model's weights blob is not
safetensors: it is zk.outputs.weights_blob of the proven integers (five to a 32-byte big-endian
word, bias last, zk/packing.py), whose sha256 the contract checks; `weights_from_blob` reads
either kind.

The salt column of the committed validation set is derived, not stored: HKDF-SHA256 of the
lender's X25519 private key (derived from the account key, or the wallet's signature), with the
validation CSV's sha256 and the spec digest as info. So every round of a model re-encodes the
same set (the same commitment), nothing extra sits on disk, and the salt is unguessable to
anyone without the lender's key.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from fedlend.errors import ProofError, SpecError
from fedlend.sealing.keys import hkdf_sha256
from fl.features import EncodedData
from fl.models import Weights
from fl.spec import ModelSpec
from fl.weights import weights_from_bytes
from zk.fixed import SALT_BITS, FixedPoint, ValidationSet, decode_weights, encode_set, scores
from zk.fixed import encode_weights as encode_ints
from zk.outputs import PublicOutputs, parse_weights_blob, rank_sums, score_bps, weights_digest
from zk.shape import CircuitShape

VERIFIED = "zk_verified"  # spec metadata: the proof scheme ("ezkl-auc-v2") of a verified model
FEATURE_BITS = "zk_feature_bits"  # spec metadata: features are rounded to 1/2**bits
WEIGHT_BITS = "zk_weight_bits"  # spec metadata: proven weights are integers / 2**bits
SCHEME = "ezkl-auc-v2"
VERIFIED_KINDS = ("logreg",)
SALT_INFO = b"fedlend zk validation salt"
SALT_HKDF = b"fedlend/zk/salt/v1"
MAX_BITS = 16
SALT_CHUNK = 4096  # bytes of salt per HKDF expansion


def verified_metadata(fixed: FixedPoint) -> dict[str, str]:
    """The metadata a verified model's spec carries."""
    return {
        VERIFIED: SCHEME,
        FEATURE_BITS: str(fixed.feature_bits),
        WEIGHT_BITS: str(fixed.weight_bits),
    }


def is_verified(spec: ModelSpec) -> bool:
    """True if the spec says its model's rounds are proven (any value under VERIFIED)."""
    return VERIFIED in spec.metadata


def fixed_point(spec: ModelSpec) -> FixedPoint:
    """The fixed-point scales of a verified spec (hostile metadata: checked)."""
    if spec.metadata.get(VERIFIED) != SCHEME:
        raise SpecError(
            f"this spec's proof scheme {spec.metadata.get(VERIFIED)!r} is not {SCHEME!r}: "
            "update fedlend to read this model"
        )
    if spec.model.kind not in VERIFIED_KINDS:
        raise SpecError("a verified model must be a logistic regression: the spec is not")
    return FixedPoint(
        feature_bits=_bits(spec.metadata, FEATURE_BITS),
        weight_bits=_bits(spec.metadata, WEIGHT_BITS),
    )


def _bits(metadata: Mapping[str, str], key: str) -> int:
    text = metadata.get(key, "")
    if not text.isdigit() or not 0 <= int(text) <= MAX_BITS:
        raise SpecError(f"the spec's {key} must be 0-{MAX_BITS}, not {text!r}: ask the lender")
    return int(text)


def weight_shape(spec: ModelSpec) -> CircuitShape:
    """A circuit shape with the spec's weights and one-hot blocks (rows change neither the public
    weights nor the committed inputs)."""
    return CircuitShape(rows=2, features=spec.n_inputs, groups=one_hot_groups(spec))


def weights_from_blob(blob: bytes, spec: ModelSpec) -> Weights:
    """A model's weights from its stored blob: felts for a verified spec, else safetensors."""
    if not is_verified(spec):
        return weights_from_bytes(blob, spec)
    fixed = fixed_point(spec)
    parsed = parse_weights_blob(blob, weight_shape(spec))
    if any(abs(value) >= fixed.limit for value in parsed):  # never proven: encode_weights' bound
        raise ProofError("a weights blob holds a weight too large for the circuit: fetch it again")
    w, bias = decode_weights(np.array(parsed, dtype=np.int64), fixed)
    return {
        "linear.weight": torch.tensor(w, dtype=torch.float32).reshape(1, -1),
        "linear.bias": torch.tensor([bias], dtype=torch.float32),
    }


def integer_weights(spec: ModelSpec, weights: Mapping[str, torch.Tensor]) -> np.ndarray:
    """The circuit's integers (weights, then bias) for a logistic regression's float weights."""
    try:
        w = weights["linear.weight"].detach().double().numpy().ravel()
        bias = float(weights["linear.bias"].detach().double().reshape(-1)[0])
    except (KeyError, IndexError) as exc:
        raise ProofError("only a logistic regression's weights can be proven") from exc
    if w.shape != (spec.n_inputs,):
        raise ProofError(f"the weights have {w.size} inputs, the spec {spec.n_inputs}")
    return encode_ints(w, bias, fixed_point(spec))


def salt_for(key: bytes, validation_sha256: str, spec: ModelSpec, rows: int) -> np.ndarray:
    """The validation set's salt column: 16-bit values from HKDF of the lender's key."""
    info = SALT_INFO + validation_sha256.encode() + spec.digest
    chunks = range(0, 2 * rows, SALT_CHUNK)  # HKDF expands to at most 255 blocks at once
    raw = b"".join(
        hkdf_sha256(key, salt=SALT_HKDF, info=info + i.to_bytes(4, "big"), length=SALT_CHUNK)
        for i in chunks
    )[: 2 * rows]
    values = np.frombuffer(raw, dtype=">u2").astype(np.int64)
    return values & ((1 << SALT_BITS) - 1)


def one_hot_groups(spec: ModelSpec) -> tuple[tuple[int, int], ...]:
    """The spec's categorical features as one-hot blocks (first column, width) of its encoding:
    the circuit looks their weights up instead of multiplying every column."""
    groups, first = [], 0
    for feature in spec.features:
        width = len(feature.columns())
        if feature.kind == "categorical":
            groups.append((first, width))
        first += width
    return tuple(groups)


def circuit_shape_of(spec: ModelSpec, rows: int) -> CircuitShape:
    """The circuit of a verified spec's model over a validation set of `rows` loans: what the
    lender's committed set fits (`validation_set(...).shape`), rebuilt by anyone from the spec."""
    unit = 1 << fixed_point(spec).feature_bits
    return CircuitShape(rows, spec.n_inputs, one_hot_groups(spec), unit)


def circuit_fit(spec: ModelSpec) -> tuple[int, int]:
    """The public weight words and committed data points of a verified spec's circuit: what its
    verifier must be set to read (ProofError if no circuit has the spec's width)."""
    shape = weight_shape(spec)
    return shape.word_count, shape.data_inputs


def validation_set(spec: ModelSpec, data: EncodedData, key: bytes, sha256: str) -> ValidationSet:
    """The salted integer set a verified model commits to (the same for every round)."""
    salt = salt_for(key, sha256, spec, data.n)
    labels, fixed = data.labels.astype(np.int64), fixed_point(spec)
    return encode_set(data.X, labels, fixed, salt=salt, groups=one_hot_groups(spec))


def proven_score(
    spec: ModelSpec, weights: Mapping[str, torch.Tensor], x: np.ndarray, y: np.ndarray
) -> int:
    """The score a proof of these weights shows (the quantized AUC; the salt does not count):
    what anyone holding the validation CSV can recompute without the lender's key."""
    zero_salt = np.zeros(len(y), dtype=np.int64)
    encoded = encode_set(x, np.asarray(y).astype(np.int64), fixed_point(spec), salt=zero_salt)
    ints = integer_weights(spec, weights)
    r_up, r_low, positives = rank_sums(scores(encoded, ints), encoded.y)
    return score_bps(PublicOutputs(tuple(ints.tolist()), r_up + r_low, positives), len(y))


def proven_digest(spec: ModelSpec, weights: Mapping[str, torch.Tensor]) -> bytes:
    """The newWeights a proof of these weights records: sha256 of their felt blob."""
    return weights_digest(integer_weights(spec, weights).tolist())
