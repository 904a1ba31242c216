// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title BatchReader
/// @notice Reads many values of a view function in ONE `eth_call`, without being deployed: the
///         caller runs this contract's creation code with `eth_call` (no `to`), and the
///         constructor returns the results back to back instead of runtime code. The index's
///         `verify` uses it to compare thousands of pieces with chain state in a few calls.
/// @dev Never deploy it (it would deploy the results as code). Read-only: only `staticcall`.
contract BatchReader {
    /// @notice A call failed or returned a result of another size than `width`.
    /// @param position the position of the argument in `args`
    /// @param size the size of what the call returned (0 when it reverted)
    error BatchReaderCallFailed(uint256 position, uint256 size);

    /// @notice Call `target.selector(args[i])` for every i and return the results concatenated.
    /// @dev Each result must be exactly `width` bytes (a static return, a multiple of 32).
    /// @param target the contract to read
    /// @param selector a view function taking one word (uint256, or an address as a word)
    /// @param args one argument word per call
    /// @param width the size in bytes of each result
    constructor(address target, bytes4 selector, uint256[] memory args, uint256 width) {
        bytes memory out = new bytes(args.length * width);
        for (uint256 i = 0; i < args.length; ++i) {
            (bool ok, bytes memory result) = target.staticcall(abi.encodeWithSelector(selector, args[i]));
            if (!ok || result.length != width) revert BatchReaderCallFailed(i, ok ? result.length : 0);
            // Word by word: shanghai has no mcopy. Memory-safe: writes stay inside `out`.
            for (uint256 j = 0; j < width; j += 32) {
                assembly ("memory-safe") {
                    mstore(add(add(out, 32), add(mul(i, width), j)), mload(add(add(result, 32), j)))
                }
            }
        }
        assembly ("memory-safe") {
            return(add(out, 32), mload(out))
        }
    }
}
