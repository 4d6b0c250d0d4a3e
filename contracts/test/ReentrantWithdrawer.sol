// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ModelRepository} from "../ModelRepository.sol";

/// @title ReentrantWithdrawer (test helper)
/// @notice A data-owner contract whose receive() calls ModelRepository.withdraw() again, once.
/// With `bubble` it reverts when that re-entry fails; otherwise it records the failure and goes on.
contract ReentrantWithdrawer {
    ModelRepository public immutable repo;
    bool public bubble;
    uint256 public reentries;
    uint256 public received;
    bytes public lastError;

    constructor(ModelRepository repo_) {
        repo = repo_;
    }

    /// @notice Submit an update as this contract.
    function submit(uint256 modelId, bytes32 digest) external returns (uint256) {
        return repo.submitUpdate(modelId, digest);
    }

    /// @notice Choose whether a failed re-entry reverts the whole withdrawal.
    function setBubble(bool bubble_) external {
        bubble = bubble_;
    }

    /// @notice Withdraw what this contract is owed, re-entering from receive().
    function attack() external {
        repo.withdraw();
    }

    receive() external payable {
        received += msg.value;
        if (reentries > 0) return;
        reentries += 1;
        try repo.withdraw() {
            // a second payout would land here: the tests assert it never happens
        } catch (bytes memory reason) {
            lastError = reason;
            if (bubble) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
        }
    }
}
