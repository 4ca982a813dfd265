package portal

import "testing"

func TestRollUp(t *testing.T) {
	const (
		ok      = DecisionOutcomeApproved
		changes = DecisionOutcomeChangesRequested
		reject  = DecisionOutcomeRejected
	)
	three := []string{"a", "b", "c"}
	cases := []struct {
		name      string
		policy    ApprovalPolicy
		approvers []string
		decisions map[string]DecisionOutcome
		want      ApprovalStatus
	}{
		{"ANY, nobody decided", ApprovalPolicyAny, three, nil, ApprovalStatusPending},
		{"ANY, one approved", ApprovalPolicyAny, three, map[string]DecisionOutcome{"b": ok}, ApprovalStatusApproved},
		{"ANY, one asked for changes", ApprovalPolicyAny, three, map[string]DecisionOutcome{"a": changes}, ApprovalStatusChangesRequested},
		{"ANY, one rejected", ApprovalPolicyAny, three, map[string]DecisionOutcome{"c": reject}, ApprovalStatusRejected},
		{"ANY, changes win over approval", ApprovalPolicyAny, three, map[string]DecisionOutcome{"a": ok, "b": changes}, ApprovalStatusChangesRequested},
		{"ANY, rejection wins over changes", ApprovalPolicyAny, three, map[string]DecisionOutcome{"a": changes, "b": reject, "c": ok}, ApprovalStatusRejected},
		{"ALL, nobody decided", ApprovalPolicyAll, three, nil, ApprovalStatusPending},
		{"ALL, some approved", ApprovalPolicyAll, three, map[string]DecisionOutcome{"a": ok, "b": ok}, ApprovalStatusPending},
		{"ALL, every approver approved", ApprovalPolicyAll, three, map[string]DecisionOutcome{"a": ok, "b": ok, "c": ok}, ApprovalStatusApproved},
		{"ALL, one change request resolves at once", ApprovalPolicyAll, three, map[string]DecisionOutcome{"a": changes}, ApprovalStatusChangesRequested},
		{"ALL, changes win over approvals", ApprovalPolicyAll, three, map[string]DecisionOutcome{"a": ok, "b": ok, "c": changes}, ApprovalStatusChangesRequested},
		{"ALL, rejection wins", ApprovalPolicyAll, three, map[string]DecisionOutcome{"a": ok, "b": changes, "c": reject}, ApprovalStatusRejected},
		{"ALL, one approver who approved", ApprovalPolicyAll, []string{"a"}, map[string]DecisionOutcome{"a": ok}, ApprovalStatusApproved},
		{"ALL, a decision by someone not an approver counts for nothing", ApprovalPolicyAll, []string{"a"}, map[string]DecisionOutcome{"x": reject}, ApprovalStatusPending},
		{"ANY, no approvers", ApprovalPolicyAny, nil, nil, ApprovalStatusPending},
	}
	for _, c := range cases {
		if got := RollUp(c.policy, c.approvers, c.decisions); got != c.want {
			t.Errorf("%s: RollUp = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestApprovalStatusRules(t *testing.T) {
	cases := []struct {
		status      ApprovalStatus
		resolved    bool
		resubmit    bool
		deliverable DeliverableStatus
	}{
		{ApprovalStatusPending, false, false, DeliverableStatusInReview},
		{ApprovalStatusApproved, true, false, DeliverableStatusApproved},
		{ApprovalStatusChangesRequested, true, true, DeliverableStatusChangesRequested},
		{ApprovalStatusRejected, true, true, DeliverableStatusInProgress},
		{ApprovalStatusCancelled, true, false, DeliverableStatusInProgress},
	}
	for _, c := range cases {
		if c.status.Resolved() != c.resolved || c.status.CanResubmit() != c.resubmit {
			t.Errorf("%s: resolved %v, can resubmit %v", c.status, c.status.Resolved(), c.status.CanResubmit())
		}
		if got, ok := DeliverableAfter(c.status); !ok || got != c.deliverable {
			t.Errorf("%s: deliverable becomes %s (%v), want %s", c.status, got, ok, c.deliverable)
		}
	}
	if len(AllApprovalStatus) != len(cases) {
		t.Errorf("%d approval statuses, %d covered", len(AllApprovalStatus), len(cases))
	}
}
