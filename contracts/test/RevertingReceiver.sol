// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ModelRepository} from "../ModelRepository.sol";

/// @title RevertingReceiver (test helper)
/// @notice A lender or data owner that refuses every ETH transfer: it must not block anyone else.
contract RevertingReceiver {
    error RevertingReceiverRefused();

    ModelRepository public immutable repo;

    constructor(ModelRepository repo_) {
        repo = repo_;
    }

    /// @notice Post a bounty as this contract (forwarding msg.value).
    function createModel(bytes32 weights, bytes32 spec, uint16 initialScore, uint16 targetScore, uint64 deadline, uint32 reviewPeriod)
        external
        payable
        returns (uint256)
    {
        return repo.createModel{value: msg.value}(weights, spec, initialScore, targetScore, deadline, reviewPeriod);
    }

    /// @notice Submit an update as this contract.
    function submit(uint256 modelId, bytes32 digest) external returns (uint256) {
        return repo.submitUpdate(modelId, digest);
    }

    /// @notice Evaluate an update of a model this contract lends.
    function evaluate(uint256 updateId, uint16 score, bytes32 newWeights) external {
        repo.evaluateUpdate(updateId, score, newWeights);
    }

    /// @notice Reclaim the bounty of a model this contract lends.
    function reclaim(uint256 modelId) external {
        repo.reclaim(modelId);
    }

    /// @notice Try to withdraw: always fails, since receive() reverts.
    function withdraw() external {
        repo.withdraw();
    }

    receive() external payable {
        revert RevertingReceiverRefused();
    }
}
