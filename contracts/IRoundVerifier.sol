// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRoundVerifier
/// @notice Checks an EZKL proof that a model's ROC-AUC on a KZG-committed validation set is what the
/// proof's public outputs say, and reports what the repository compares: the data commitment,
/// the digest of the proven weights and the score in bps, recomputed from the public outputs.
/// @dev Public outputs (instances), in order: the weights and the bias as field elements, then
/// R, the sum of the defaults' two rank sums (ties counted above, and below), and P, the number
/// of defaults. AUC = (R / 2 - P (P + 1) / 2) / (P (n - P)), ties counting 1/2.
interface IRoundVerifier {
    /// @notice The proof has `count` public outputs; this circuit has `expected`.
    error RoundVerifierBadInstanceCount(uint256 count, uint256 expected);
    /// @notice The proof is `length` bytes: shorter than the `minimum` holding the data commitment.
    error RoundVerifierProofTooShort(uint256 length, uint256 minimum);
    /// @notice The public outputs are not a rank sum of `positives` defaults among `rows` rows.
    error RoundVerifierBadOutputs(uint256 rankSum, uint256 positives, uint256 rows);

    /// @notice What a verified proof established.
    struct Verdict {
        bool valid;
        uint16 score;
        bytes32 commitment;
        bytes32 weightsDigest;
    }

    /// @notice Verify `proof` with public outputs `instances` (reverts only on malformed input;
    /// a proof that does not verify returns `valid = false`).
    /// @param proof The EZKL proof bytes (its first G1 points commit to the data and labels).
    /// @param instances The public outputs as field elements.
    /// @return verdict Whether it verified, the AUC in bps (rounded down), the sha256 of the
    /// data commitment points and the sha256 of the public weights (32-byte big-endian words).
    function verifyRound(bytes calldata proof, uint256[] calldata instances)
        external
        view
        returns (Verdict memory verdict);

    /// @notice The validation set's row count n the circuit was built for.
    function rows() external view returns (uint256);

    /// @notice The digest (sha256) of the verifying key the proof verifier embeds.
    function vkDigest() external view returns (bytes32);

    /// @notice The number of public words holding the weights (features plus the bias, five
    /// 25-bit legs a word) in the public outputs.
    function weightCount() external view returns (uint256);
}
