package portal

// The approval workflow as pure rules: how an approval's status follows
// from its approvers' decisions, and what the deliverable becomes when an
// approval resolves. The store applies them inside the transaction that
// records a decision.

// RollUp is an approval's status given each approver's current decision
// (approvers without one are absent from decisions). A rejection or a
// change request wins over approvals, and a rejection over a change
// request; under ANY one decision resolves the approval, under ALL it is
// approved once every approver has approved.
func RollUp(policy ApprovalPolicy, approvers []string, decisions map[string]DecisionOutcome) ApprovalStatus {
	approved := 0
	var changes, rejected bool
	for _, a := range approvers {
		switch decisions[a] {
		case DecisionOutcomeApproved:
			approved++
		case DecisionOutcomeChangesRequested:
			changes = true
		case DecisionOutcomeRejected:
			rejected = true
		}
	}
	switch {
	case rejected:
		return ApprovalStatusRejected
	case changes:
		return ApprovalStatusChangesRequested
	case approved > 0 && policy == ApprovalPolicyAny:
		return ApprovalStatusApproved
	case approved > 0 && approved == len(approvers):
		return ApprovalStatusApproved
	}
	return ApprovalStatusPending
}

// Resolved reports whether an approval is closed to decisions.
func (s ApprovalStatus) Resolved() bool { return s != ApprovalStatusPending }

// CanResubmit reports whether a new round may follow an approval in this
// status: one that asked for changes or was rejected.
func (s ApprovalStatus) CanResubmit() bool {
	return s == ApprovalStatusChangesRequested || s == ApprovalStatusRejected
}

// DeliverableAfter is the status a deliverable takes when its approval
// reaches status: approved, or back in progress with the change request.
// ok is false when the deliverable keeps its status.
func DeliverableAfter(status ApprovalStatus) (next DeliverableStatus, ok bool) {
	switch status {
	case ApprovalStatusApproved:
		return DeliverableStatusApproved, true
	case ApprovalStatusChangesRequested:
		return DeliverableStatusChangesRequested, true
	case ApprovalStatusRejected, ApprovalStatusCancelled:
		return DeliverableStatusInProgress, true
	case ApprovalStatusPending:
		return DeliverableStatusInReview, true
	}
	return "", false
}
