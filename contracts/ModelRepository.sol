// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ModelRepository
/// @notice Escrows a lender's ETH bounty for a better credit-default model and pays the data owners
/// whose submitted updates raise the lender's score. Content lives off-chain: weights, specs and
/// sealed updates are named by the sha2-256 digest of their blob (which rebuilds its CIDv1).
/// @dev Conventions:
/// - Model ids and update ids are 1-based: id 0 never names anything.
/// - Scores are basis points (0..10000). A model pays `bounty * (score - best) / (target - initial)`
///   for each improvement, capped at what is left; reaching the target completes the model.
/// - Payments are pulled: `evaluateUpdate` and `reclaim` credit `owed`, `withdraw` pays it out.
/// - After the deadline a model takes no submissions, but its lender may still evaluate (and pay)
///   the updates submitted before the deadline, until it reclaims the rest of the bounty.
/// - Gas: an update's reward and a model's number of updates are not stored; they are carried
///   by the `UpdateEvaluated` and `UpdateSubmitted` events (indexed by model and update id).
contract ModelRepository {
    /// @notice Lifecycle of a model's bounty.
    enum ModelStatus {
        Open,
        Completed,
        Reclaimed
    }

    /// @notice Lifecycle of one submitted update.
    enum UpdateStatus {
        Pending,
        Accepted,
        Rejected
    }

    /// @notice One model: four storage slots (lender+bounty, the packed state, weights, spec).
    struct Model {
        address lender;
        uint96 bounty;
        uint96 remaining;
        uint64 deadline;
        uint16 initialScore;
        uint16 targetScore;
        uint16 bestScore;
        ModelStatus status;
        bytes32 weights;
        bytes32 spec;
    }

    /// @notice One update as `getUpdate` returns it.
    struct Update {
        uint256 modelId;
        address submitter;
        bytes32 digest;
        uint64 submittedAt;
        UpdateStatus status;
        uint16 score;
    }

    /// @dev One update in storage: a single slot, keyed by its digest (so it doubles as "seen").
    struct Submission {
        address submitter;
        uint32 modelId;
        uint40 submittedAt;
        UpdateStatus status;
        uint16 score;
    }

    /// @notice The highest score, in basis points.
    uint16 public constant MAX_SCORE = 10_000;

    uint256 private immutable _deployedBlock;
    uint32 private _nextModelId = 1;
    uint64 private _nextUpdateId = 1;
    bool private transient _locked;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 updateId => bytes32 digest) private _updateDigests;
    mapping(bytes32 digest => Submission) private _submissions;
    mapping(address account => uint256 amount) private _owed;

    /// @notice A lender escrowed `bounty` for improving the model `weights` described by `spec`.
    event ModelCreated(
        uint256 indexed modelId,
        address indexed lender,
        bytes32 weights,
        bytes32 spec,
        uint256 bounty,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline
    );
    /// @notice `submitter` offered the update stored under `digest` to model `modelId`.
    event UpdateSubmitted(
        uint256 indexed modelId,
        uint256 indexed updateId,
        address indexed submitter,
        bytes32 digest,
        uint64 submittedAt
    );
    /// @notice The lender scored an update; if accepted, `reward` was credited to the submitter.
    event UpdateEvaluated(
        uint256 indexed modelId,
        uint256 indexed updateId,
        address indexed submitter,
        UpdateStatus status,
        uint16 score,
        uint256 reward,
        bytes32 newWeights
    );
    /// @notice The model reached its target score; `remaining` is left for the lender to reclaim.
    event ModelCompleted(uint256 indexed modelId, uint16 bestScore, bytes32 weights, uint256 remaining);
    /// @notice The lender took back what was left of the bounty (credited, then withdrawn).
    event BountyReclaimed(uint256 indexed modelId, address indexed lender, uint256 amount);
    /// @notice `account` was paid everything credited to it.
    event Withdrawn(address indexed account, uint256 amount);

    error ModelRepositoryZeroBounty();
    error ModelRepositoryBountyTooLarge(uint256 bounty, uint256 maxBounty);
    error ModelRepositoryBadScoreRange(uint16 initialScore, uint16 targetScore);
    error ModelRepositoryDeadlineInPast(uint64 deadline, uint256 timestamp);
    error ModelRepositoryZeroDigest();
    error ModelRepositoryUnknownModel(uint256 modelId);
    error ModelRepositoryUnknownUpdate(uint256 updateId);
    error ModelRepositoryModelNotOpen(uint256 modelId, ModelStatus status);
    error ModelRepositoryDeadlinePassed(uint256 modelId, uint64 deadline);
    error ModelRepositoryDuplicateDigest(bytes32 digest);
    error ModelRepositoryNotLender(uint256 modelId, address caller);
    error ModelRepositoryAlreadyEvaluated(uint256 updateId, UpdateStatus status);
    error ModelRepositoryScoreOutOfRange(uint16 score);
    error ModelRepositoryDeadlineNotReached(uint256 modelId, uint64 deadline);
    error ModelRepositoryAlreadyReclaimed(uint256 modelId);
    error ModelRepositoryNothingOwed(address account);
    error ModelRepositoryTransferFailed(address account, uint256 amount);
    error ModelRepositoryReentrantCall();

    modifier nonReentrant() {
        if (_locked) revert ModelRepositoryReentrantCall();
        _locked = true;
        _;
        _locked = false;
    }

    constructor() {
        _deployedBlock = block.number;
    }

    /// @notice Escrow `msg.value` as the bounty for improving a model.
    /// @param weights Digest of the initial weights blob.
    /// @param spec Digest of the model spec blob (features, architecture, metric).
    /// @param initialScore The initial weights' score on the lender's validation set (bps).
    /// @param targetScore The score at which the bounty is fully earned (bps, <= 10000).
    /// @param deadline Unix time after which no update is accepted and the lender may reclaim.
    /// @return modelId The new model's id (1-based).
    function createModel(
        bytes32 weights,
        bytes32 spec,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline
    ) external payable returns (uint256 modelId) {
        if (msg.value == 0) revert ModelRepositoryZeroBounty();
        if (msg.value > type(uint96).max) {
            revert ModelRepositoryBountyTooLarge(msg.value, type(uint96).max);
        }
        if (initialScore >= targetScore || targetScore > MAX_SCORE) {
            revert ModelRepositoryBadScoreRange(initialScore, targetScore);
        }
        if (deadline <= block.timestamp) revert ModelRepositoryDeadlineInPast(deadline, block.timestamp);
        if (weights == bytes32(0) || spec == bytes32(0)) revert ModelRepositoryZeroDigest();
        modelId = _nextModelId++;
        _models[modelId] = Model({
            lender: msg.sender,
            bounty: uint96(msg.value),
            remaining: uint96(msg.value),
            deadline: deadline,
            initialScore: initialScore,
            targetScore: targetScore,
            bestScore: initialScore,
            status: ModelStatus.Open,
            weights: weights,
            spec: spec
        });
        emit ModelCreated(
            modelId, msg.sender, weights, spec, msg.value, initialScore, targetScore, deadline
        );
    }

    /// @notice Offer the update stored under `update` to an open model, before its deadline.
    /// @dev A digest ever submitted before, to any model, is refused (no copies, no replays).
    /// @param modelId The model the update improves.
    /// @param update Digest of the sealed update blob.
    /// @return updateId The new update's id (1-based).
    function submitUpdate(uint256 modelId, bytes32 update) external returns (uint256 updateId) {
        Model storage model = _existingModel(modelId);
        if (model.status != ModelStatus.Open) revert ModelRepositoryModelNotOpen(modelId, model.status);
        if (block.timestamp >= model.deadline) {
            revert ModelRepositoryDeadlinePassed(modelId, model.deadline);
        }
        if (update == bytes32(0)) revert ModelRepositoryZeroDigest();
        if (_submissions[update].submitter != address(0)) revert ModelRepositoryDuplicateDigest(update);
        updateId = _nextUpdateId++;
        _updateDigests[updateId] = update;
        _submissions[update] = Submission({
            submitter: msg.sender,
            modelId: uint32(modelId),
            submittedAt: uint40(block.timestamp),
            status: UpdateStatus.Pending,
            score: 0
        });
        emit UpdateSubmitted(modelId, updateId, msg.sender, update, uint64(block.timestamp));
    }

    /// @notice Record the lender's score for a pending update and pay it if it improves the model.
    /// @dev Lender only, once per update, while the model is open (also after the deadline, until
    /// the lender reclaims). Reward = bounty * (score - best) / (target - initial), capped at what
    /// is left; reaching the target completes the model. A score <= best rejects the update.
    /// @param updateId The update to evaluate.
    /// @param score The merged model's score on the lender's validation set (bps).
    /// @param newWeights Digest of the merged weights (used only when the update is accepted).
    function evaluateUpdate(uint256 updateId, uint16 score, bytes32 newWeights) external {
        bytes32 digest = _updateDigests[updateId];
        if (digest == bytes32(0)) revert ModelRepositoryUnknownUpdate(updateId);
        Submission storage sub = _submissions[digest];
        uint256 modelId = sub.modelId;
        Model storage model = _models[modelId];
        if (msg.sender != model.lender) revert ModelRepositoryNotLender(modelId, msg.sender);
        if (sub.status != UpdateStatus.Pending) {
            revert ModelRepositoryAlreadyEvaluated(updateId, sub.status);
        }
        if (model.status != ModelStatus.Open) revert ModelRepositoryModelNotOpen(modelId, model.status);
        if (score > MAX_SCORE) revert ModelRepositoryScoreOutOfRange(score);
        if (score <= model.bestScore) {
            sub.status = UpdateStatus.Rejected;
            sub.score = score;
            emit UpdateEvaluated(
                modelId, updateId, sub.submitter, UpdateStatus.Rejected, score, 0, bytes32(0)
            );
            return;
        }
        if (newWeights == bytes32(0)) revert ModelRepositoryZeroDigest();
        _accept(model, sub, modelId, updateId, score, newWeights);
    }

    /// @notice Credit the lender with what is left of a model's bounty, after its deadline or
    /// once it is completed. The model is closed for good.
    /// @param modelId The model whose bounty to reclaim.
    function reclaim(uint256 modelId) external {
        Model storage model = _existingModel(modelId);
        if (msg.sender != model.lender) revert ModelRepositoryNotLender(modelId, msg.sender);
        if (model.status == ModelStatus.Reclaimed) revert ModelRepositoryAlreadyReclaimed(modelId);
        if (model.status == ModelStatus.Open && block.timestamp < model.deadline) {
            revert ModelRepositoryDeadlineNotReached(modelId, model.deadline);
        }
        uint256 amount = model.remaining;
        model.remaining = 0;
        model.status = ModelStatus.Reclaimed;
        _owed[msg.sender] += amount;
        emit BountyReclaimed(modelId, msg.sender, amount);
    }

    /// @notice Pay the caller everything credited to it (rewards and reclaimed bounties).
    /// @return amount The wei paid.
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _owed[msg.sender];
        if (amount == 0) revert ModelRepositoryNothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert ModelRepositoryTransferFailed(msg.sender, amount);
    }

    /// @notice How many models were created (ids run from 1 to this count).
    function modelCount() external view returns (uint256) {
        return _nextModelId - 1;
    }

    /// @notice How many updates were submitted (ids run from 1 to this count).
    function updateCount() external view returns (uint256) {
        return _nextUpdateId - 1;
    }

    /// @notice One model's state.
    /// @param modelId The model's id.
    function getModel(uint256 modelId) external view returns (Model memory) {
        return _existingModel(modelId);
    }

    /// @notice One update's state (its reward is in its `UpdateEvaluated` event).
    /// @param updateId The update's id.
    function getUpdate(uint256 updateId) external view returns (Update memory) {
        bytes32 digest = _updateDigests[updateId];
        if (digest == bytes32(0)) revert ModelRepositoryUnknownUpdate(updateId);
        Submission storage sub = _submissions[digest];
        return Update(sub.modelId, sub.submitter, digest, sub.submittedAt, sub.status, sub.score);
    }

    /// @notice The wei credited to `account` and not yet withdrawn.
    /// @param account The account to look up.
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @notice Whether `digest` was ever submitted as an update (to any model).
    /// @param digest The update digest to look up.
    function digestSeen(bytes32 digest) external view returns (bool) {
        return _submissions[digest].submitter != address(0);
    }

    /// @notice The block this contract was deployed in: where event scans start.
    function deployedBlock() external view returns (uint256) {
        return _deployedBlock;
    }

    function _accept(
        Model storage model,
        Submission storage sub,
        uint256 modelId,
        uint256 updateId,
        uint16 score,
        bytes32 newWeights
    ) private {
        uint256 remaining = model.remaining;
        uint256 reward = (uint256(model.bounty) * (score - model.bestScore)) /
            (model.targetScore - model.initialScore);
        if (reward > remaining) reward = remaining;
        bool completed = score >= model.targetScore;
        sub.status = UpdateStatus.Accepted;
        sub.score = score;
        model.remaining = uint96(remaining - reward);
        model.bestScore = score;
        if (completed) model.status = ModelStatus.Completed;
        model.weights = newWeights;
        address submitter = sub.submitter;
        _owed[submitter] += reward;
        emit UpdateEvaluated(
            modelId, updateId, submitter, UpdateStatus.Accepted, score, reward, newWeights
        );
        if (completed) emit ModelCompleted(modelId, score, newWeights, remaining - reward);
    }

    function _existingModel(uint256 modelId) private view returns (Model storage) {
        if (modelId == 0 || modelId >= _nextModelId) revert ModelRepositoryUnknownModel(modelId);
        return _models[modelId];
    }
}
