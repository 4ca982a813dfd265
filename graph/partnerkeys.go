package graph

import (
	"context"

	"portalgraph/internal/auth"
	"portalgraph/internal/portal"
)

// partnerKeyStore keeps partners' API keys; part of Store.
type partnerKeyStore interface {
	PartnerKeys(ctx context.Context, p portal.Principal, includeRevoked bool, page portal.PageArgs) (*portal.PartnerKeyConnection, error)
	CreatePartnerKey(ctx context.Context, p portal.Principal, in portal.CreatePartnerKeyInput, secret portal.PartnerSecret) (*portal.PartnerKey, error)
	RotatePartnerKey(ctx context.Context, p portal.Principal, id string, secret portal.PartnerSecret) (*portal.PartnerKey, error)
	RevokePartnerKey(ctx context.Context, p portal.Principal, id string) (*portal.PartnerKey, error)
}

// createPartnerKey makes the key's secret, which the payload shows once;
// the store keeps its hash.
func (r *Resolver) createPartnerKey(ctx context.Context, in portal.CreatePartnerKeyInput) (*portal.CreatePartnerKeyPayload, error) {
	secret, stored := auth.NewPartnerSecret()
	k, err := r.store.CreatePartnerKey(ctx, portal.PrincipalFrom(ctx), in, stored)
	if err != nil {
		return nil, err
	}
	return &portal.CreatePartnerKeyPayload{PartnerKey: k, Secret: secret}, nil
}

func (r *Resolver) rotatePartnerKey(ctx context.Context, in portal.RotatePartnerKeyInput) (*portal.RotatePartnerKeyPayload, error) {
	secret, stored := auth.NewPartnerSecret()
	k, err := r.store.RotatePartnerKey(ctx, portal.PrincipalFrom(ctx), in.ID, stored)
	if err != nil {
		return nil, err
	}
	return &portal.RotatePartnerKeyPayload{PartnerKey: k, Secret: secret}, nil
}

func (r *Resolver) revokePartnerKey(ctx context.Context, in portal.RevokePartnerKeyInput) (*portal.RevokePartnerKeyPayload, error) {
	k, err := r.store.RevokePartnerKey(ctx, portal.PrincipalFrom(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &portal.RevokePartnerKeyPayload{PartnerKey: k}, nil
}

// partnerKeyClients is PartnerKey.clients: the clients a key is
// restricted to, for every key at one place in one statement.
func partnerKeyClients(s Store) readField {
	return reading([]string{"ClientIDs"}, withObjects[[]*portal.Client](readField{batch: func(in fieldInput, objs []any) ([]any, error) {
		keys := typed[portal.PartnerKey](objs)
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ClientIDs...)
		}
		found, err := fetchByID[portal.Client](in, ids, s.ClientsByID)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(keys))
		for i, k := range keys {
			clients := []*portal.Client{}
			for _, id := range k.ClientIDs {
				if c := found[id]; c != nil {
					clients = append(clients, c)
				}
			}
			vals[i] = clients
		}
		return vals, nil
	}}))
}
