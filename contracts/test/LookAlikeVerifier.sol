// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoundVerifier} from "../IRoundVerifier.sol";

/// @title LookAlikeVerifier (test helper)
/// @notice The attack the owners' verifier check exists for: a lender's own "verifier" that calls
/// every proof valid. Its score is the last public output, its weights digest the sha256 of the
/// others and its commitment the sha256 of the proof bytes, so any claim is "proven".
contract LookAlikeVerifier is IRoundVerifier {
    /// @notice rows() was asked after setBroken(true).
    error LookAlikeVerifierBroken();

    uint256 private immutable _rows;
    bytes32 private immutable _vkDigest;
    bool private _broken;

    /// @param rows_ The row count it claims.
    /// @param vkDigest_ The verifying-key digest it claims.
    constructor(uint256 rows_, bytes32 vkDigest_) {
        _rows = rows_;
        _vkDigest = vkDigest_;
    }

    /// @notice Make rows() revert from now on (a hostile verifier changing its answers).
    /// @param broken Whether rows() reverts.
    function setBroken(bool broken) external {
        _broken = broken;
    }

    /// @inheritdoc IRoundVerifier
    function verifyRound(bytes calldata proof, uint256[] calldata instances)
        external
        pure
        returns (Verdict memory verdict)
    {
        uint256 last = instances.length - 1;
        verdict.valid = true;
        verdict.score = uint16(instances[last]);
        verdict.commitment = sha256(proof);
        verdict.weightsDigest = sha256(abi.encodePacked(instances[:last]));
    }

    /// @inheritdoc IRoundVerifier
    function rows() external view returns (uint256) {
        if (_broken) revert LookAlikeVerifierBroken();
        return _rows;
    }

    /// @inheritdoc IRoundVerifier
    function vkDigest() external view returns (bytes32) {
        return _vkDigest;
    }

    /// @inheritdoc IRoundVerifier
    function weightCount() external view returns (uint256) {
        return _rows == 0 ? 0 : 2;
    }
}
