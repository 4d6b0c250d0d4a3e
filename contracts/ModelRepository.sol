// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRepository} from "./IModelRepository.sol";
import {IRoundVerifier} from "./IRoundVerifier.sol";

/// @title ModelRepository
/// @notice Escrows a lender's ETH bounty for a better credit-default model and pays the data owners
/// whose submitted updates raise the lender's score. Content lives off-chain: weights, specs and
/// sealed updates are named by the sha2-256 digest of their blob (which rebuilds its CIDv1).
/// @dev Conventions:
/// - Model ids and update ids are 1-based: id 0 never names anything.
/// - Scores are basis points (0..10000). A round that raises the best score pays
///   `bounty * (score - best) / (target - initial)`, capped at what is left, split among the
///   round's updates by the lender's shares (bps); reaching the target completes the model.
/// - Rounding: each paid update gets `payout * share / 10000` rounded down, and the last update
///   with a non-zero share also gets the remainder, so a round's rewards add up to its payout.
/// - Recourse: the lender promises to judge every update by `deadline + reviewPeriod`. After that
///   no evaluation is accepted; each still-pending update may claim an equal share of what the
///   model had left when the window closed (`remaining / pendingCount`, rounded down, the same for
///   every claim whatever their order); the rounding remainder and the shares of updates the
///   lender did judge go back to the lender on reclaim.
/// - Submissions are bound to their submitter: a digest is not unique on-chain, so copying an
///   owner's digest neither blocks the owner's own submission nor earns anything (the sealed
///   blob names its signer, and the lender rejects a blob submitted by anyone else).
/// - Payments are pulled: evaluations, claims and `reclaim` credit `owed`, `withdraw` pays it.
/// - Verified models (createVerifiedModel) prove their initial score and so fix a RoundVerifier
///   and the commitment to the salted validation set; each of their rounds, rejections included,
///   needs a proof of the score (evaluateVerifiedRound). Unverified models work as before and are never asked for one.
/// - Gas: an update's digest and reward are not stored; they are carried by the `UpdateSubmitted`
///   and `UpdateEvaluated` events (indexed by model and update id).
contract ModelRepository is IModelRepository {
    /// @dev One update in storage: a single slot.
    struct Submission {
        address submitter;
        uint32 modelId;
        uint40 submittedAt;
        UpdateStatus status;
        uint16 score;
    }

    /// @notice The highest score, in basis points (also the sum of a paying round's shares).
    uint16 public constant MAX_SCORE = 10_000;
    /// @notice The shortest review period a lender may promise.
    uint32 public constant MIN_REVIEW_PERIOD = 1 hours;
    /// @notice The longest review period a lender may promise.
    uint32 public constant MAX_REVIEW_PERIOD = 30 days;
    /// @notice The most updates one round may judge (keeps a round well inside a block).
    uint256 public constant MAX_ROUND_SIZE = 100;

    uint256 private immutable _deployedBlock;
    uint32 private _nextModelId = 1;
    uint64 private _nextUpdateId = 1;
    bool private transient _locked;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 updateId => Submission) private _submissions;
    mapping(address account => uint256 amount) private _owed;
    mapping(uint256 modelId => IRoundVerifier verifier) private _verifiers;
    mapping(uint256 modelId => bytes32 commitment) private _commitments;

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
    /// @param deadline Unix time after which no update is accepted.
    /// @param reviewPeriod Seconds after the deadline within which the lender judges every update
    /// (1 hour to 30 days); after it, unjudged updates claim the rest of the bounty.
    /// @return modelId The new model's id (1-based).
    function createModel(
        bytes32 weights,
        bytes32 spec,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline,
        uint32 reviewPeriod
    ) external payable returns (uint256 modelId) {
        modelId = _create(weights, spec, initialScore, targetScore, deadline, reviewPeriod);
    }

    /// @notice Escrow `msg.value` as the bounty for a verified model: `proof` shows that
    /// `initialScore` is the AUC of the initial weights on the validation set whose commitment it
    /// carries; that commitment is fixed, and every round (rejections too) must come with a proof,
    /// checked by `verifier`, of its score on the same set.
    /// @dev Owners should check `verifier`'s code (a RoundVerifier wrapping an EZKL verifier whose
    /// verifying key they trust) before spending privacy on the model: the lender chooses it.
    /// @param weights Digest of the initial weights blob.
    /// @param spec Digest of the model spec blob (features, architecture, metric).
    /// @param initialScore The initial weights' score on the lender's validation set (bps).
    /// @param targetScore The score at which the bounty is fully earned (bps, <= 10000).
    /// @param deadline Unix time after which no update is accepted.
    /// @param reviewPeriod Seconds after the deadline within which the lender judges every update.
    /// @dev For a verified model `weights` is sha256 of the proof's public weights.
    /// @param verifier The RoundVerifier of the model's circuit.
    /// @param proof The EZKL proof of the initial score (its first points commit to the data).
    /// @param instances The proof's public outputs.
    /// @return modelId The new model's id (1-based).
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
    ) external payable returns (uint256 modelId) {
        if (verifier.code.length == 0) revert ModelRepositoryBadVerification(verifier);
        modelId = _create(weights, spec, initialScore, targetScore, deadline, reviewPeriod);
        IRoundVerifier checker = IRoundVerifier(verifier);
        bytes32 commitment = _proven(checker, modelId, bytes32(0), proof, instances, weights, initialScore);
        _verifiers[modelId] = checker;
        _commitments[modelId] = commitment;
        emit ModelVerificationFixed(modelId, verifier, commitment, checker.vkDigest(), checker.rows());
    }

    function _create(
        bytes32 weights,
        bytes32 spec,
        uint16 initialScore,
        uint16 targetScore,
        uint64 deadline,
        uint32 reviewPeriod
    ) private returns (uint256 modelId) {
        if (msg.value == 0) revert ModelRepositoryZeroBounty();
        if (msg.value > type(uint96).max) {
            revert ModelRepositoryBountyTooLarge(msg.value, type(uint96).max);
        }
        if (initialScore >= targetScore || targetScore > MAX_SCORE) {
            revert ModelRepositoryBadScoreRange(initialScore, targetScore);
        }
        if (deadline <= block.timestamp) revert ModelRepositoryDeadlineInPast(deadline, block.timestamp);
        if (deadline > type(uint40).max) revert ModelRepositoryDeadlineTooFar(deadline, type(uint40).max);
        if (reviewPeriod < MIN_REVIEW_PERIOD || reviewPeriod > MAX_REVIEW_PERIOD) {
            revert ModelRepositoryBadReviewPeriod(reviewPeriod, MIN_REVIEW_PERIOD, MAX_REVIEW_PERIOD);
        }
        if (weights == bytes32(0) || spec == bytes32(0)) revert ModelRepositoryZeroDigest();
        modelId = _nextModelId++;
        Model storage model = _models[modelId];
        model.lender = msg.sender;
        model.bounty = uint96(msg.value);
        model.remaining = uint96(msg.value);
        model.deadline = uint40(deadline);
        model.initialScore = initialScore;
        model.targetScore = targetScore;
        model.bestScore = initialScore;
        model.reviewPeriod = reviewPeriod;
        model.weights = weights;
        model.spec = spec;
        emit ModelCreated(
            modelId, msg.sender, weights, spec, msg.value, initialScore, targetScore, deadline, reviewPeriod
        );
    }

    /// @notice Offer the update stored under `update` to an open model, before its deadline.
    /// @dev The same digest may be submitted by several accounts (a copy does not block the
    /// original); the lender judges each by the signer its sealed blob names.
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
        unchecked {
            model.pendingCount += 1; // < 2^32: each submission costs > 20k gas of a block
        }
        updateId = _nextUpdateId++;
        _submissions[updateId] = Submission({
            submitter: msg.sender,
            modelId: uint32(modelId),
            submittedAt: uint40(block.timestamp),
            status: UpdateStatus.Pending,
            score: 0
        });
        emit UpdateSubmitted(modelId, updateId, msg.sender, update, uint64(block.timestamp));
    }

    /// @notice Judge pending updates of one (unverified) model at once: the lender merged them into
    /// `newWeights`, which scores `score`. If it beats the best score, the payout
    /// `bounty * (score - best) / (target - initial)` (capped at what is left) is split by
    /// `shares`; otherwise every share must be 0 and all the updates are rejected.
    /// @dev Lender only, before the review window closes, on an open or completed model.
    /// Shares are bps of the payout: those that are non-zero must sum to exactly 10000; a share
    /// of 0 rejects its update. Each paid update gets `payout * share / 10000` rounded down; the
    /// last paid update also gets the remainder, so the rewards add up to the payout to the wei.
    /// @param modelId The model whose updates are judged.
    /// @param updateIds The pending updates judged (at most MAX_ROUND_SIZE, no repeats).
    /// @param shares Each update's share of the payout in bps (0 = rejected).
    /// @param score The merged model's score on the lender's validation set (bps).
    /// @param newWeights Digest of the merged weights (ignored when the score does not improve).
    /// @return payout The wei credited to the round's submitters.
    function evaluateRound(
        uint256 modelId,
        uint256[] calldata updateIds,
        uint16[] calldata shares,
        uint16 score,
        bytes32 newWeights
    ) external returns (uint256 payout) {
        if (address(_verifiers[modelId]) != address(0)) revert ModelRepositoryProofRequired(modelId);
        payout = _evaluateRound(modelId, updateIds, shares, score, newWeights);
    }

    /// @notice Judge a round of a verified model, as evaluateRound does, once `proof` shows that
    /// `score` is the AUC (bps, rounded down) of the weights named `newWeights` on the model's
    /// committed validation set. Rejections (a score that does not beat the best) need a proof too.
    /// @dev For a verified model `newWeights` is the sha256 of the proof's public weights (the
    /// weights and bias as 32-byte big-endian field elements): that blob names the proven model.
    /// @param modelId The verified model whose updates are judged.
    /// @param updateIds The pending updates judged (at most MAX_ROUND_SIZE, no repeats).
    /// @param shares Each update's share of the payout in bps (0 = rejected).
    /// @param score The merged model's proven AUC (bps).
    /// @param newWeights sha256 of the proof's public weights.
    /// @param proof The EZKL proof.
    /// @param instances The proof's public outputs (weights, bias, two rank sums, defaults).
    /// @return payout The wei credited to the round's submitters.
    function evaluateVerifiedRound(
        uint256 modelId,
        uint256[] calldata updateIds,
        uint16[] calldata shares,
        uint16 score,
        bytes32 newWeights,
        bytes calldata proof,
        uint256[] calldata instances
    ) external returns (uint256 payout) {
        IRoundVerifier checker = _verifiers[modelId];
        if (address(checker) == address(0)) {
            _existingModel(modelId);
            revert ModelRepositoryNotVerified(modelId);
        }
        _proven(checker, modelId, _commitments[modelId], proof, instances, newWeights, score);
        payout = _evaluateRound(modelId, updateIds, shares, score, newWeights);
        emit RoundProven(modelId, score, newWeights, keccak256(proof));
    }

    /// @notice A verified model's verifier and data commitment (both zero for an unverified model).
    /// @param modelId The model's id.
    function getVerification(uint256 modelId) external view returns (address verifier, bytes32 commitment) {
        _existingModel(modelId);
        return (address(_verifiers[modelId]), _commitments[modelId]);
    }

    /// @dev The data commitment of a proof that verifies, is over `expected` data (any if zero),
    /// and shows that the weights named `weights` score `score`.
    function _proven(
        IRoundVerifier checker,
        uint256 modelId,
        bytes32 expected,
        bytes calldata proof,
        uint256[] calldata instances,
        bytes32 weights,
        uint16 score
    ) private view returns (bytes32) {
        IRoundVerifier.Verdict memory verdict = checker.verifyRound(proof, instances);
        if (!verdict.valid) revert ModelRepositoryProofRejected(modelId);
        if (expected != bytes32(0) && verdict.commitment != expected) {
            revert ModelRepositoryCommitmentMismatch(modelId, expected, verdict.commitment);
        }
        if (verdict.weightsDigest != weights) {
            revert ModelRepositoryWeightsMismatch(modelId, weights, verdict.weightsDigest);
        }
        if (verdict.score != score) revert ModelRepositoryScoreMismatch(modelId, score, verdict.score);
        return verdict.commitment;
    }

    function _evaluateRound(
        uint256 modelId,
        uint256[] calldata updateIds,
        uint16[] calldata shares,
        uint16 score,
        bytes32 newWeights
    ) private returns (uint256 payout) {
        uint256 size = updateIds.length;
        if (size == 0) revert ModelRepositoryEmptyRound();
        if (size > MAX_ROUND_SIZE) revert ModelRepositoryRoundTooLarge(size, MAX_ROUND_SIZE);
        if (shares.length != size) revert ModelRepositoryLengthMismatch(size, shares.length);
        Model storage model = _judgeable(modelId, score);
        (uint256 total, uint256 lastPaid) = _sumShares(shares);
        uint16 best = model.bestScore;
        bool improved = score > best;
        if (improved ? total != MAX_SCORE : total != 0) revert ModelRepositoryBadShares(total, improved);
        if (improved) payout = _raise(model, score, newWeights);
        uint256 credited;
        for (uint256 i; i < size; ++i) {
            uint256 reward;
            if (shares[i] != 0) {
                reward = i == lastPaid ? payout - credited : (payout * shares[i]) / MAX_SCORE;
                credited += reward;
            }
            _judge(modelId, updateIds[i], score, reward, shares[i] != 0 ? newWeights : bytes32(0));
        }
        model.pendingCount -= uint32(size);
        emit RoundEvaluated(modelId, score, best, payout, size, improved ? size - _zeros(shares) : 0, newWeights);
        if (improved && score >= model.targetScore) {
            emit ModelCompleted(modelId, score, newWeights, model.remaining);
        }
    }

    /// @notice Judge one pending update: a round of one (its whole payout if it improves).
    /// @param updateId The update to evaluate.
    /// @param score The merged model's score on the lender's validation set (bps).
    /// @param newWeights Digest of the merged weights (used only when the update is accepted).
    /// @dev Refused for a verified model (its rounds need evaluateVerifiedRound and a proof).
    function evaluateUpdate(uint256 updateId, uint16 score, bytes32 newWeights) external {
        Submission storage sub = _pendingSubmission(updateId);
        uint256 modelId = sub.modelId;
        if (address(_verifiers[modelId]) != address(0)) revert ModelRepositoryProofRequired(modelId);
        Model storage model = _judgeable(modelId, score);
        uint16 best = model.bestScore;
        uint256 payout;
        if (score > best) payout = _raise(model, score, newWeights);
        _judge(modelId, updateId, score, payout, score > best ? newWeights : bytes32(0));
        model.pendingCount -= 1;
        emit RoundEvaluated(modelId, score, best, payout, 1, score > best ? 1 : 0, newWeights);
        if (score > best && score >= model.targetScore) {
            emit ModelCompleted(modelId, score, newWeights, model.remaining);
        }
    }

    /// @notice Once a model's review window has closed, credit the submitter of a still-pending
    /// update with an equal share of what the model had left when the window closed.
    /// @dev Anyone may call it; the credit always goes to the update's submitter. The first claim
    /// (or reclaim) after the window snapshots `remaining / pendingCount`; every claim gets that
    /// amount. The update becomes Expired.
    /// @param updateId The pending update.
    /// @return amount The wei credited to the submitter.
    function claimUnreviewed(uint256 updateId) external returns (uint256 amount) {
        Submission storage sub = _pendingSubmission(updateId);
        uint256 modelId = sub.modelId;
        Model storage model = _models[modelId];
        uint64 reviewEnds = _reviewEnds(model);
        if (block.timestamp < reviewEnds) revert ModelRepositoryReviewWindowOpen(modelId, reviewEnds);
        _closeWindow(model, modelId);
        amount = model.claimShare;
        sub.status = UpdateStatus.Expired;
        model.remaining -= uint96(amount);
        model.pendingCount -= 1;
        address submitter = sub.submitter;
        _owed[submitter] += amount;
        emit UpdateEvaluated(modelId, updateId, submitter, UpdateStatus.Expired, 0, amount, bytes32(0));
    }

    /// @notice Credit the lender with what is left of a model's bounty, after its deadline or
    /// once it is completed, and close the model for good.
    /// @dev Refused while updates are pending and the review window is open. After the window,
    /// the shares still claimable by pending updates stay reserved for them.
    /// @param modelId The model whose bounty to reclaim.
    function reclaim(uint256 modelId) external {
        Model storage model = _existingModel(modelId);
        if (msg.sender != model.lender) revert ModelRepositoryNotLender(modelId, msg.sender);
        if (model.status == ModelStatus.Reclaimed) revert ModelRepositoryAlreadyReclaimed(modelId);
        if (model.status == ModelStatus.Open && block.timestamp < model.deadline) {
            revert ModelRepositoryDeadlineNotReached(modelId, model.deadline);
        }
        uint256 pending = model.pendingCount;
        uint256 reserved;
        if (pending != 0) {
            uint64 reviewEnds = _reviewEnds(model);
            if (block.timestamp < reviewEnds) {
                revert ModelRepositoryUpdatesPending(modelId, pending, reviewEnds);
            }
            _closeWindow(model, modelId);
            reserved = uint256(model.claimShare) * pending;
        }
        uint256 amount = model.remaining - reserved;
        model.remaining = uint96(reserved);
        model.status = ModelStatus.Reclaimed;
        _owed[msg.sender] += amount;
        emit BountyReclaimed(modelId, msg.sender, amount);
    }

    /// @notice Pay the caller everything credited to it (rewards, claims and reclaimed bounties).
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

    /// @notice One update's state (its digest is in its `UpdateSubmitted` event, its reward in
    /// its `UpdateEvaluated` event).
    /// @param updateId The update's id.
    function getUpdate(uint256 updateId) external view returns (Update memory) {
        Submission storage sub = _submissions[updateId];
        if (sub.submitter == address(0)) revert ModelRepositoryUnknownUpdate(updateId);
        return Update(sub.modelId, sub.submitter, sub.submittedAt, sub.status, sub.score);
    }

    /// @notice The wei credited to `account` and not yet withdrawn.
    /// @param account The account to look up.
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @notice The block this contract was deployed in: where event scans start.
    function deployedBlock() external view returns (uint256) {
        return _deployedBlock;
    }

    /// @dev The model, if its lender may judge it now with `score`.
    function _judgeable(uint256 modelId, uint16 score) private view returns (Model storage model) {
        model = _existingModel(modelId);
        if (msg.sender != model.lender) revert ModelRepositoryNotLender(modelId, msg.sender);
        if (model.status == ModelStatus.Reclaimed) revert ModelRepositoryModelNotOpen(modelId, model.status);
        uint64 reviewEnds = _reviewEnds(model);
        if (block.timestamp >= reviewEnds) revert ModelRepositoryReviewWindowClosed(modelId, reviewEnds);
        if (score > MAX_SCORE) revert ModelRepositoryScoreOutOfRange(score);
    }

    /// @dev Raise the best score to `score` and return the payout it earns.
    function _raise(Model storage model, uint16 score, bytes32 newWeights) private returns (uint256 payout) {
        if (newWeights == bytes32(0)) revert ModelRepositoryZeroDigest();
        uint256 remaining = model.remaining;
        payout = (uint256(model.bounty) * (score - model.bestScore)) / (model.targetScore - model.initialScore);
        if (payout > remaining) payout = remaining;
        model.remaining = uint96(remaining - payout);
        model.bestScore = score;
        model.weights = newWeights;
        if (score >= model.targetScore) model.status = ModelStatus.Completed;
    }

    /// @dev Record one update's verdict (accepted iff `weights` is set) and credit its reward.
    function _judge(uint256 modelId, uint256 updateId, uint16 score, uint256 reward, bytes32 weights) private {
        Submission storage sub = _pendingSubmission(updateId);
        if (sub.modelId != modelId) revert ModelRepositoryWrongModel(updateId, modelId, sub.modelId);
        UpdateStatus status = weights != bytes32(0) ? UpdateStatus.Accepted : UpdateStatus.Rejected;
        sub.status = status;
        sub.score = score;
        address submitter = sub.submitter;
        if (reward != 0) _owed[submitter] += reward;
        emit UpdateEvaluated(modelId, updateId, submitter, status, score, reward, weights);
    }

    /// @dev Snapshot the claim share the first time it is needed after the review window.
    function _closeWindow(Model storage model, uint256 modelId) private {
        if (model.windowClosed) return;
        uint256 pending = model.pendingCount;
        uint256 remaining = model.remaining;
        uint256 share = pending == 0 ? 0 : remaining / pending;
        model.claimShare = uint96(share);
        model.windowClosed = true;
        emit ReviewWindowClosed(modelId, remaining, pending, share);
    }

    function _pendingSubmission(uint256 updateId) private view returns (Submission storage sub) {
        sub = _submissions[updateId];
        if (sub.submitter == address(0)) revert ModelRepositoryUnknownUpdate(updateId);
        if (sub.status != UpdateStatus.Pending) revert ModelRepositoryAlreadyEvaluated(updateId, sub.status);
    }

    function _existingModel(uint256 modelId) private view returns (Model storage) {
        if (modelId == 0 || modelId >= _nextModelId) revert ModelRepositoryUnknownModel(modelId);
        return _models[modelId];
    }

    function _reviewEnds(Model storage model) private view returns (uint64) {
        return uint64(model.deadline) + model.reviewPeriod;
    }

    function _sumShares(uint16[] calldata shares) private pure returns (uint256 total, uint256 lastPaid) {
        for (uint256 i; i < shares.length; ++i) {
            if (shares[i] != 0) {
                total += shares[i];
                lastPaid = i;
            }
        }
    }

    function _zeros(uint16[] calldata shares) private pure returns (uint256 count) {
        for (uint256 i; i < shares.length; ++i) {
            if (shares[i] == 0) ++count;
        }
    }
}
