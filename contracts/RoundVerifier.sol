// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoundVerifier} from "./IRoundVerifier.sol";

/// @notice The EZKL-generated Halo2 verifier (its bytecode embeds one verifying key).
interface IHalo2Verifier {
    /// @notice True if the proof verifies for `instances`; reverts otherwise.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// @title RoundVerifier
/// @notice Wraps one circuit's Halo2 verifier: checks the proof, reads the data commitment from
/// the proof, hashes the public weights and recomputes the AUC in bps from the public outputs.
/// @dev Deployed once per circuit (rows x features), beside the repository; stateless.
contract RoundVerifier is IRoundVerifier {
    uint256 private constant BPS = 10_000;
    uint256 private constant POINT_BYTES = 64;

    IHalo2Verifier private immutable _halo2;
    bytes32 private immutable _vkDigest;
    uint256 private immutable _rows;
    uint256 private immutable _weightCount;
    uint256 private immutable _dataPoints;

    /// @param halo2 The EZKL verifier of this circuit.
    /// @param vkDigest_ sha256 of the verifying key file the verifier was generated from.
    /// @param rows_ The validation set's row count n.
    /// @param weightCount_ The public words holding the weights and the bias (five 25-bit legs each).
    /// @param dataPoints The G1 points at the start of a proof committing to data and labels.
    constructor(address halo2, bytes32 vkDigest_, uint256 rows_, uint256 weightCount_, uint256 dataPoints) {
        _halo2 = IHalo2Verifier(halo2);
        _vkDigest = vkDigest_;
        _rows = rows_;
        _weightCount = weightCount_;
        _dataPoints = dataPoints;
    }

    /// @inheritdoc IRoundVerifier
    function verifyRound(bytes calldata proof, uint256[] calldata instances)
        external
        view
        returns (Verdict memory verdict)
    {
        uint256 count = _weightCount;
        if (instances.length != count + 2) revert RoundVerifierBadInstanceCount(instances.length, count + 2);
        uint256 head = _dataPoints * POINT_BYTES;
        if (proof.length < head) revert RoundVerifierProofTooShort(proof.length, head);
        verdict.score = _score(instances[count], instances[count + 1]);
        verdict.commitment = sha256(proof[:head]);
        verdict.weightsDigest = sha256(abi.encodePacked(instances[:count]));
        try _halo2.verifyProof(proof, instances) returns (bool ok) {
            verdict.valid = ok;
        } catch {
            verdict.valid = false;
        }
    }

    /// @inheritdoc IRoundVerifier
    function rows() external view returns (uint256) {
        return _rows;
    }

    /// @inheritdoc IRoundVerifier
    function vkDigest() external view returns (bytes32) {
        return _vkDigest;
    }

    /// @inheritdoc IRoundVerifier
    function weightCount() external view returns (uint256) {
        return _weightCount;
    }

    /// @dev AUC in bps, rounded down: (rankSum - P(P+1)) * 10000 / (2 P (n - P)).
    function _score(uint256 rankSum, uint256 positives) private view returns (uint16) {
        uint256 n = _rows;
        if (positives == 0 || positives >= n || rankSum > 2 * n * n) {
            revert RoundVerifierBadOutputs(rankSum, positives, n);
        }
        uint256 least = positives * (positives + 1);
        uint256 pairs2 = 2 * positives * (n - positives);
        if (rankSum < least || rankSum > least + pairs2) revert RoundVerifierBadOutputs(rankSum, positives, n);
        return uint16(((rankSum - least) * BPS) / pairs2);
    }
}
