// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TestToken
/// @notice A minimal ERC-20 for the signals tests: the deployer gets the whole supply.
contract TestToken {
    string public constant name = "Test Token";
    string public constant symbol = "TST";
    uint8 public constant decimals = 6;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    /// @notice Emitted when `value` tokens moved from `from` to `to`.
    event Transfer(address indexed from, address indexed to, uint256 value);

    /// @notice The sender holds `balance`, less than the `needed` amount.
    error TestTokenInsufficientBalance(uint256 balance, uint256 needed);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    /// @notice Move `value` tokens from the sender to `to`.
    function transfer(address to, uint256 value) external returns (bool) {
        uint256 balance = balanceOf[msg.sender];
        if (balance < value) revert TestTokenInsufficientBalance(balance, value);
        balanceOf[msg.sender] = balance - value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
