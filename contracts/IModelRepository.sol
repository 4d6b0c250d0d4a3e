// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelRepository
/// @notice The external interface of ModelRepository: its types, events, custom errors and functions.
/// @dev In the manner of OpenZeppelin's interfaces: everything a caller or an indexer relies on,
/// nothing about storage. Scores are basis points (0..10000); amounts are wei; ids are 1-based.
interface IModelRepository {
    /// @notice Lifecycle of a model's bounty.
    enum ModelStatus {
        Open,
        Completed,
        Reclaimed
    }

    /// @notice Lifecycle of one submitted update (Expired: claimed after the review window).
    enum UpdateStatus {
        Pending,
        Accepted,
        Rejected,
        Expired
    }

    /// @notice One model: five storage slots (lender+bounty, the packed state, weights, spec,
    /// the claim book written once when the review window closes).
    struct Model {
        address lender;
        uint96 bounty;
        uint96 remaining;
        uint40 deadline;
        uint16 initialScore;
        uint16 targetScore;
        uint16 bestScore;
        ModelStatus status;
        uint32 reviewPeriod;
        uint32 pendingCount;
        bytes32 weights;
        bytes32 spec;
        uint96 claimShare;
        bool windowClosed;
    }

    /// @notice One update as `getUpdate` returns it (its digest is in its `UpdateSubmitted` event).
    struct Update {
        uint256 modelId;
        address submitter;
        uint64 submittedAt;
        UpdateStatus status;
        uint16 score;
    }

    /// @notice A lender escrowed `bounty` for improving the model `weights` described by `spec`,
    /// promising to evaluate every update by `deadline + reviewPeriod`.
    event ModelCreated(
        uint256 indexed modelId,
        address indexed lender,
        bytes32 weights,
        bytes32 spec,
        uint256 bounty,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline,
        uint32 reviewPeriod
    );
    /// @notice `submitter` offered the update stored under `digest` to model `modelId`.
    event UpdateSubmitted(
        uint256 indexed modelId,
        uint256 indexed updateId,
        address indexed submitter,
        bytes32 digest,
        uint64 submittedAt
    );
    /// @notice The lender judged an update (in a round); if accepted, `reward` was credited to the
    /// submitter. An Expired update was claimed: `reward` is its equal share of the remainder.
    event UpdateEvaluated(
        uint256 indexed modelId,
        uint256 indexed updateId,
        address indexed submitter,
        UpdateStatus status,
        uint16 score,
        uint256 reward,
        bytes32 newWeights
    );
    /// @notice The lender judged `updates` updates at once: `accepted` of them shared `payout`
    /// for raising the best score from `previousBest` to `score` (no payout if it did not rise).
    event RoundEvaluated(
        uint256 indexed modelId,
        uint16 score,
        uint16 previousBest,
        uint256 payout,
        uint256 updates,
        uint256 accepted,
        bytes32 newWeights
    );
    /// @notice The review window closed with `pendingCount` updates unjudged: each may claim
    /// `claimShare` of the `remaining` the model held then.
    event ReviewWindowClosed(
        uint256 indexed modelId, uint256 remaining, uint256 pendingCount, uint256 claimShare
    );
    /// @notice The model reached its target score; `remaining` is left for the lender to reclaim.
    event ModelCompleted(uint256 indexed modelId, uint16 bestScore, bytes32 weights, uint256 remaining);
    /// @notice The lender took back what was left of the bounty (credited, then withdrawn).
    event BountyReclaimed(uint256 indexed modelId, address indexed lender, uint256 amount);
    /// @notice `account` was paid everything credited to it.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice Model `modelId` was created verified: every round needs a proof from `verifier`
    /// (verifying key `vkDigest`, `rows` rows) over the validation set committed to by `commitment`.
    event ModelVerificationFixed(
        uint256 indexed modelId, address verifier, bytes32 commitment, bytes32 vkDigest, uint256 rows
    );
    /// @notice A round of verified model `modelId` was proven: its `score` is the AUC of the weights
    /// `newWeights` on the committed validation set; `proofDigest` is keccak256 of the proof.
    event RoundProven(uint256 indexed modelId, uint16 score, bytes32 newWeights, bytes32 proofDigest);

    /// @notice createModel was sent no ETH: a bounty must be more than 0 wei.
    error ModelRepositoryZeroBounty();
    /// @notice createModel was sent `bounty` wei, more than the `maxBounty` a model can hold.
    error ModelRepositoryBountyTooLarge(uint256 bounty, uint256 maxBounty);
    /// @notice The scores must satisfy initialScore < targetScore <= 10000.
    error ModelRepositoryBadScoreRange(uint16 initialScore, uint16 targetScore);
    /// @notice The deadline `deadline` is not after the chain's time `timestamp`.
    error ModelRepositoryDeadlineInPast(uint64 deadline, uint256 timestamp);
    /// @notice The deadline `deadline` is beyond `maxDeadline` (the year 36812).
    error ModelRepositoryDeadlineTooFar(uint64 deadline, uint64 maxDeadline);
    /// @notice The review period `reviewPeriod` (seconds) is outside [`minPeriod`, `maxPeriod`].
    error ModelRepositoryBadReviewPeriod(uint32 reviewPeriod, uint32 minPeriod, uint32 maxPeriod);
    /// @notice A digest of 32 zero bytes names no content.
    error ModelRepositoryZeroDigest();
    /// @notice No model has id `modelId`.
    error ModelRepositoryUnknownModel(uint256 modelId);
    /// @notice No update has id `updateId`.
    error ModelRepositoryUnknownUpdate(uint256 updateId);
    /// @notice Model `modelId` is in `status`, which does not allow this call.
    error ModelRepositoryModelNotOpen(uint256 modelId, ModelStatus status);
    /// @notice Model `modelId` stopped taking updates at `deadline`.
    error ModelRepositoryDeadlinePassed(uint256 modelId, uint64 deadline);
    /// @notice `caller` is not the lender of model `modelId`.
    error ModelRepositoryNotLender(uint256 modelId, address caller);
    /// @notice Update `updateId` is no longer pending: it is `status`.
    error ModelRepositoryAlreadyEvaluated(uint256 updateId, UpdateStatus status);
    /// @notice The score `score` is above 10000 bps.
    error ModelRepositoryScoreOutOfRange(uint16 score);
    /// @notice Model `modelId` is open until `deadline`: it cannot be reclaimed yet.
    error ModelRepositoryDeadlineNotReached(uint256 modelId, uint64 deadline);
    /// @notice Model `modelId`'s bounty was already reclaimed.
    error ModelRepositoryAlreadyReclaimed(uint256 modelId);
    /// @notice Nothing is credited to `account`.
    error ModelRepositoryNothingOwed(address account);
    /// @notice Paying `amount` wei to `account` failed (its receive() reverted).
    error ModelRepositoryTransferFailed(address account, uint256 amount);
    /// @notice A nonReentrant function was entered again.
    error ModelRepositoryReentrantCall();
    /// @notice A round names no updates.
    error ModelRepositoryEmptyRound();
    /// @notice A round of `size` updates is larger than `maxSize`.
    error ModelRepositoryRoundTooLarge(uint256 size, uint256 maxSize);
    /// @notice A round gave `shares` shares for `updates` updates: one share per update.
    error ModelRepositoryLengthMismatch(uint256 updates, uint256 shares);
    /// @notice Update `updateId` belongs to model `actualModelId`, not the round's `modelId`.
    error ModelRepositoryWrongModel(uint256 updateId, uint256 modelId, uint256 actualModelId);
    /// @notice The shares sum to `total` bps: they must sum to 10000 if the score beats the best
    /// (`improved`), and all be 0 if it does not.
    error ModelRepositoryBadShares(uint256 total, bool improved);
    /// @notice Model `modelId`'s review window closed at `reviewEnds`: it can no longer be evaluated.
    error ModelRepositoryReviewWindowClosed(uint256 modelId, uint64 reviewEnds);
    /// @notice Model `modelId`'s review window is open until `reviewEnds`: no claims before then.
    error ModelRepositoryReviewWindowOpen(uint256 modelId, uint64 reviewEnds);
    /// @notice Model `modelId` has `pendingCount` unjudged updates and its review window is open
    /// until `reviewEnds`: evaluate them first (or wait, and reclaim what the claims leave).
    error ModelRepositoryUpdatesPending(uint256 modelId, uint256 pendingCount, uint64 reviewEnds);

    /// @notice Model `modelId` is verified: judge its rounds with evaluateVerifiedRound and a proof.
    error ModelRepositoryProofRequired(uint256 modelId);
    /// @notice Model `modelId` was created without verification: judge it with evaluateRound.
    error ModelRepositoryNotVerified(uint256 modelId);
    /// @notice A verified model needs a verifier contract: `verifier` has no code.
    error ModelRepositoryBadVerification(address verifier);
    /// @notice The round's proof for model `modelId` did not verify: prove the round again.
    error ModelRepositoryProofRejected(uint256 modelId);
    /// @notice The proof for model `modelId` is over data committed as `proven`, not the model's
    /// `expected` validation set.
    error ModelRepositoryCommitmentMismatch(uint256 modelId, bytes32 expected, bytes32 proven);
    /// @notice The proof's public weights hash to `proven`, not the round's `newWeights`.
    error ModelRepositoryWeightsMismatch(uint256 modelId, bytes32 newWeights, bytes32 proven);
    /// @notice The round claims `claimed` bps but the proof's outputs give `proven` bps.
    error ModelRepositoryScoreMismatch(uint256 modelId, uint16 claimed, uint16 proven);

    /// @notice Escrow `msg.value` as the bounty for improving a model.
    function createModel(
        bytes32 weights,
        bytes32 spec,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline,
        uint32 reviewPeriod
    ) external payable returns (uint256 modelId);

    /// @notice Escrow `msg.value` for a verified model whose initial score `proof` shows; rounds
    /// are paid only with a proof, by `verifier`, over the validation set that proof committed to.
    function createVerifiedModel(
        bytes32 weights,
        bytes32 spec,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline,
        uint32 reviewPeriod,
        address verifier,
        bytes calldata proof,
        uint256[] calldata instances
    ) external payable returns (uint256 modelId);

    /// @notice Judge a round of a verified model: as evaluateRound, with a proof of the score.
    function evaluateVerifiedRound(
        uint256 modelId,
        uint256[] calldata updateIds,
        uint16[] calldata shares,
        uint16 score,
        bytes32 newWeights,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (uint256 payout);

    /// @notice A verified model's verifier and data commitment (zero for an unverified model).
    function getVerification(uint256 modelId) external view returns (address verifier, bytes32 commitment);

    /// @notice Offer the update stored under `update` to an open model, before its deadline.
    function submitUpdate(uint256 modelId, bytes32 update) external returns (uint256 updateId);

    /// @notice Judge several pending updates of one model at once and split the payout by shares.
    function evaluateRound(
        uint256 modelId,
        uint256[] calldata updateIds,
        uint16[] calldata shares,
        uint16 score,
        bytes32 newWeights
    ) external returns (uint256 payout);

    /// @notice Judge one pending update: a round of one.
    function evaluateUpdate(uint256 updateId, uint16 score, bytes32 newWeights) external;

    /// @notice After the review window, credit a still-pending update's submitter its equal share.
    function claimUnreviewed(uint256 updateId) external returns (uint256 amount);

    /// @notice Credit the lender with what is left of a model's bounty (minus reserved claims).
    function reclaim(uint256 modelId) external;

    /// @notice Pay the caller everything credited to it.
    function withdraw() external returns (uint256 amount);

    /// @notice How many models were created (ids run from 1 to this count).
    function modelCount() external view returns (uint256);

    /// @notice How many updates were submitted (ids run from 1 to this count).
    function updateCount() external view returns (uint256);

    /// @notice One model's state.
    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice One update's state.
    function getUpdate(uint256 updateId) external view returns (Update memory);

    /// @notice The wei credited to `account` and not yet withdrawn.
    function owed(address account) external view returns (uint256);

    /// @notice The block this contract was deployed in: where event scans start.
    function deployedBlock() external view returns (uint256);
}
