package portal

import (
	"fmt"
	"slices"
	"strings"
)

// FeatureSet is a set of feature keys (FeatureKey, from the schema): the
// modules a server has installed, what a plan and its add-ons include.
// It is a bit set, so a Principal holding one stays comparable.
type FeatureSet uint32

// AllFeatures is every feature key.
func AllFeatures() FeatureSet {
	var s FeatureSet
	for _, k := range AllFeatureKey {
		s = s.With(k)
	}
	return s
}

func featureBit(k FeatureKey) FeatureSet {
	i := slices.Index(AllFeatureKey, k)
	if i < 0 {
		return 0
	}
	return 1 << i
}

// Has reports whether the set holds the key.
func (s FeatureSet) Has(k FeatureKey) bool { b := featureBit(k); return b != 0 && s&b != 0 }

// With is the set with the key added.
func (s FeatureSet) With(k FeatureKey) FeatureSet { return s | featureBit(k) }

// Keys lists the set's keys in the schema's order.
func (s FeatureSet) Keys() []FeatureKey {
	out := []FeatureKey{}
	for _, k := range AllFeatureKey {
		if s.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

// String is the keys, comma-separated, as the store keeps them.
func (s FeatureSet) String() string {
	keys := s.Keys()
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = string(k)
	}
	return strings.Join(parts, ",")
}

// ParseFeatures reads keys separated by commas or spaces, in upper or
// lower case ("approvals,reports"); "all" is every key. Unknown keys are
// an error, so a typo does not silently switch a module off.
func ParseFeatures(text string) (FeatureSet, error) {
	var s FeatureSet
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' }) {
		if strings.EqualFold(f, "all") {
			s |= AllFeatures()
			continue
		}
		k := FeatureKey(strings.ToUpper(strings.ReplaceAll(f, "-", "_")))
		if !k.IsValid() {
			return 0, fmt.Errorf("unknown feature key %q (known: %s)", f, strings.ToLower(AllFeatures().String()))
		}
		s = s.With(k)
	}
	return s, nil
}

// featuresOf reads the store's comma-separated keys, ignoring any this
// build does not know.
func featuresOf(text string) FeatureSet {
	var s FeatureSet
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' }) {
		s = s.With(FeatureKey(f))
	}
	return s
}

// FeaturesOf reads the keys a plan's and its add-ons' features columns
// hold, comma-separated (unknown keys are ignored).
func FeaturesOf(texts ...string) FeatureSet {
	var s FeatureSet
	for _, t := range texts {
		s |= featuresOf(t)
	}
	return s
}

// HasFeature reports whether the principal's workspace may use a feature
// now: its module is installed on this server and its plan or an add-on
// includes it.
func (p Principal) HasFeature(k FeatureKey) bool {
	return !p.NotInstalled.Has(k) && !p.NotInPlan.Has(k)
}

// Features are the keys the principal's workspace may use now.
func (p Principal) Features() FeatureSet {
	return AllFeatures() &^ p.NotInstalled &^ p.NotInPlan
}

// FeatureDisabled is the answer of a field of a feature the principal's
// workspace may not use; the key is in the error's extensions.
func FeatureDisabled(k FeatureKey, installed bool) *Error {
	msg := fmt.Sprintf("the %s feature is not part of this workspace's plan or add-ons", k)
	if !installed {
		msg = fmt.Sprintf("the %s module is not installed on this server", k)
	}
	return &Error{Code: CodeFeatureDisabled, Message: msg, Details: map[string]any{"feature": string(k)}}
}

// CodePlanLimitReached refuses a change that would take the workspace
// over one of its plan's limits (add-ons included).
const CodePlanLimitReached Code = "PLAN_LIMIT_REACHED"

// PlanLimitReached names the limit, its value and the usage it would
// exceed.
func PlanLimitReached(kind LimitKind, limit, usage int64) *Error {
	return &Error{
		Code:    CodePlanLimitReached,
		Message: fmt.Sprintf("the workspace's plan allows %d %s and %d are used; change the plan or add an add-on", limit, strings.ToLower(strings.ReplaceAll(string(kind), "_", " ")), usage),
		Details: map[string]any{"limit": string(kind), "maximum": limit, "usage": usage},
	}
}

// Plan is a plan a workspace is on: its feature keys and its limits (nil:
// unlimited).
type Plan struct {
	Key             string `db:"key"`
	Name            string `db:"name"`
	FeatureText     string `db:"features"`
	PortalContacts  *int64 `db:"max_portal_contacts"`
	StorageBytes    *int64 `db:"max_storage_bytes"`
	PartnerKeys     *int64 `db:"max_partner_keys"`
	ExportsPerMonth *int64 `db:"max_exports_per_month"`
	Position        int    `db:"position"`
}

// AddOn adds feature keys to a plan or raises its limits.
type AddOn struct {
	Key             string `db:"key"`
	Name            string `db:"name"`
	FeatureText     string `db:"features"`
	PortalContacts  int64  `db:"add_portal_contacts"`
	StorageBytes    int64  `db:"add_storage_bytes"`
	PartnerKeys     int64  `db:"add_partner_keys"`
	ExportsPerMonth int64  `db:"add_exports_per_month"`
}

// PlanLimit is one limit of a plan or what an add-on adds to it.
type PlanLimit struct {
	Kind LimitKind
	// N is nil when unlimited.
	N *int64
}

// Value is the limit as the API shows it (a Float: storage exceeds 32 bits).
func (l *PlanLimit) Value() *float64 { return floatOf(l.N) }

func floatOf(n *int64) *float64 {
	if n == nil {
		return nil
	}
	f := float64(*n)
	return &f
}

// Features are the plan's keys.
func (p *Plan) Features() []FeatureKey { return FeaturesOf(p.FeatureText).Keys() }

// Limits lists the plan's limits.
func (p *Plan) Limits() []*PlanLimit {
	return []*PlanLimit{
		{LimitKindPortalContacts, p.PortalContacts}, {LimitKindStorageBytes, p.StorageBytes},
		{LimitKindPartnerKeys, p.PartnerKeys}, {LimitKindExportsPerMonth, p.ExportsPerMonth},
	}
}

// Features are the add-on's keys.
func (a *AddOn) Features() []FeatureKey { return FeaturesOf(a.FeatureText).Keys() }

// Limits lists what the add-on adds to each limit (those it raises).
func (a *AddOn) Limits() []*PlanLimit {
	var out []*PlanLimit
	for _, l := range []*PlanLimit{
		{LimitKindPortalContacts, &a.PortalContacts}, {LimitKindStorageBytes, &a.StorageBytes},
		{LimitKindPartnerKeys, &a.PartnerKeys}, {LimitKindExportsPerMonth, &a.ExportsPerMonth},
	} {
		if *l.N != 0 {
			out = append(out, l)
		}
	}
	return out
}

// LimitOf is the limit of a kind on a plan with add-ons: nil when the plan
// has none.
func LimitOf(kind LimitKind, p *Plan, addOns []*AddOn) *int64 {
	var base *int64
	for _, l := range p.Limits() {
		if l.Kind == kind {
			base = l.N
		}
	}
	if base == nil {
		return nil
	}
	n := *base
	for _, a := range addOns {
		for _, l := range a.Limits() {
			if l.Kind == kind {
				n += *l.N
			}
		}
	}
	return &n
}

// PlanUsage is how much of one limit a workspace uses.
type PlanUsage struct {
	Kind LimitKind
	// Max is nil when unlimited.
	Max   *int64
	Count int64
}

// Limit is the limit as the API shows it; nil when unlimited.
func (u *PlanUsage) Limit() *float64 { return floatOf(u.Max) }

// Used is the usage as the API shows it.
func (u *PlanUsage) Used() float64 { return float64(u.Count) }

// WorkspacePlan is a workspace's plan and add-ons.
type WorkspacePlan struct {
	Plan   *Plan
	AddOns []*AddOn
}

// Features are the keys the plan and add-ons include.
func (w WorkspacePlan) Features() FeatureSet {
	texts := []string{w.Plan.FeatureText}
	for _, a := range w.AddOns {
		texts = append(texts, a.FeatureText)
	}
	return FeaturesOf(texts...)
}

// AccessExplanation says whether a principal sees a record and, if not,
// names every rule of the principal's reads the record does not meet.
type AccessExplanation struct {
	Visible bool
	Reasons []string
}
