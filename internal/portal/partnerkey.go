package portal

import (
	"fmt"
	"slices"
	"time"
)

// PartnerKeyGrace is how long the secret a rotation replaces keeps
// working: a day, for the partner to deploy the new one without a gap.
const PartnerKeyGrace = 24 * time.Hour

// PartnerKeyTouchEvery is how stale a key's lastUsedAt may grow: a request
// writes it only when it is older than this, so a busy key costs one
// write a minute, not one a request.
const PartnerKeyTouchEvery = time.Minute

// MaxPartnerKeyClients bounds the clients a key may be restricted to.
const MaxPartnerKeyClients = 100

// PartnerKey is an API key a partner reads the workspace with. Only hashes
// of its secrets are kept: the current one and, for a grace period after a
// rotation, the one it replaced.
type PartnerKey struct {
	WorkspaceID string `db:"workspace_id"`
	ID          string `db:"id"`
	Name        string `db:"name"`
	// Prefix is the secret's first characters, shown to recognise it.
	Prefix                  string     `db:"prefix"`
	SecretHash              string     `db:"secret_hash"`
	PreviousSecretHash      *string    `db:"previous_secret_hash"`
	PreviousSecretExpiresAt *time.Time `db:"previous_expires_at"`
	Sections                FieldList  `db:"scopes"`
	ClientIDs               FieldList  `db:"client_ids"`
	IncludeInternal         bool       `db:"include_internal"`
	ExpiresAt               *time.Time `db:"expires_at"`
	CreatedByID             *string    `db:"created_by"`
	CreatedAt               time.Time  `db:"created_at"`
	LastUsedAt              *time.Time `db:"last_used_at"`
	RotatedAt               *time.Time `db:"rotated_at"`
	RevokedAt               *time.Time `db:"revoked_at"`
	// PersistedOnly locks the key to the workspace's persisted
	// operations.
	PersistedOnly bool `db:"persisted_only"`
	// NotInPlan are the feature keys the workspace's plan and add-ons
	// lack, read with the key when it authenticates.
	NotInPlan FeatureSet `db:"-"`
}

// Scopes are the sections the key reads.
func (k *PartnerKey) Scopes() []PartnerScope {
	out := make([]PartnerScope, len(k.Sections))
	for i, s := range k.Sections {
		out[i] = PartnerScope(s)
	}
	return out
}

var errBadKey = Unauthenticated("invalid, expired or revoked API key")

// Principal is the principal a request made with one of the key's secrets
// acts as, at now: current says whether the secret is the key's current
// one, rather than the one its last rotation replaced. A revoked or
// expired key, or a replaced secret past its grace period, is refused.
func (k *PartnerKey) Principal(now time.Time, current bool) (Principal, error) {
	switch {
	case k.RevokedAt != nil,
		k.ExpiresAt != nil && !now.Before(*k.ExpiresAt),
		!current && (k.PreviousSecretExpiresAt == nil || !now.Before(*k.PreviousSecretExpiresAt)):
		return Principal{}, errBadKey
	}
	return Principal{
		Audience: AudiencePartner, WorkspaceID: k.WorkspaceID, SessionID: k.ID, PersistedOnly: k.PersistedOnly,
		Key:       &PartnerGrant{KeyID: k.ID, Scopes: k.Scopes(), ClientIDs: slices.Clone([]string(k.ClientIDs)), IncludeInternal: k.IncludeInternal},
		NotInPlan: k.NotInPlan,
	}, nil
}

// Active reports whether the key works at now, by its current secret.
func (k *PartnerKey) Active(now time.Time) bool {
	_, err := k.Principal(now, true)
	return err == nil
}

// partnerScopeNeeds is the section each section needs: a record is read
// with the records above it (a deliverable's project, a project's client).
var partnerScopeNeeds = map[PartnerScope]PartnerScope{
	PartnerScopeProjects:     PartnerScopeClients,
	PartnerScopeDeliverables: PartnerScopeProjects,
	PartnerScopeApprovals:    PartnerScopeDeliverables,
	PartnerScopeReports:      PartnerScopeClients,
	PartnerScopeFiles:        PartnerScopeClients,
	PartnerScopeRequests:     PartnerScopeClients,
	PartnerScopeActivity:     PartnerScopeClients,
}

// CheckPartnerScopes refuses a set of sections of which one lacks the
// section it needs, naming the field.
func CheckPartnerScopes(field string, scopes []PartnerScope) error {
	if len(scopes) == 0 {
		return InvalidField(field, "name at least one section")
	}
	for _, s := range scopes {
		if need, ok := partnerScopeNeeds[s]; ok && !slices.Contains(scopes, need) {
			return InvalidField(field, fmt.Sprintf("%s needs %s", s, need))
		}
	}
	return nil
}

// PartnerSecret is a new secret of a key: what is stored of it.
type PartnerSecret struct {
	Hash   string
	Prefix string // its first characters, shown to recognise it
}
