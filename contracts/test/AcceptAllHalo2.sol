// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title AcceptAllHalo2 (test helper)
/// @notice The attack the circuit check exists for: a "Halo2 verifier" that calls every proof
/// valid, wrapped by the project's own RoundVerifier, whose code and settings then pass the
/// owners' verifier check. Only rebuilding the circuit and comparing code tells.
contract AcceptAllHalo2 {
    /// @notice True for any proof and public outputs.
    /// @return Always true.
    function verifyProof(bytes calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}
