package graph

import (
	"context"
	"strings"

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

func (r *Resolver) queryPartnerKeys(ctx context.Context, first *int, after *string, includeRevoked *bool) (*portal.PartnerKeyConnection, error) {
	args, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	conn, err := r.store.PartnerKeys(ctx, portal.PrincipalFrom(ctx), includeRevoked != nil && *includeRevoked, args)
	return listedRoot(ctx, conn, err)
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

// partnerKeyClients are the clients a key is restricted to, for every key
// at one place in one statement: each key asks under its list of client
// IDs, and the batch reads every client named.
func (r *Resolver) partnerKeyClients(ctx context.Context, obj *portal.PartnerKey) ([]*portal.Client, error) {
	return list(ctx, strings.Join(obj.ClientIDs, ","), func(ctx context.Context, p portal.Principal, keys []string) (map[string][]*portal.Client, error) {
		var ids []string
		for _, k := range keys {
			if k != "" {
				ids = append(ids, strings.Split(k, ",")...)
			}
		}
		clients, err := r.store.ClientsByID(ctx, p, distinct(ids))
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*portal.Client, len(clients))
		for _, c := range clients {
			byID[c.ID] = c
		}
		out := make(map[string][]*portal.Client, len(keys))
		for _, k := range keys {
			out[k] = []*portal.Client{}
			if k == "" {
				continue
			}
			for _, id := range strings.Split(k, ",") {
				if c := byID[id]; c != nil {
					out[k] = append(out[k], c)
				}
			}
		}
		return out, nil
	})
}

func (r *Resolver) partnerKeyCreatedBy(ctx context.Context, obj *portal.PartnerKey) (*portal.User, error) {
	return optional(ctx, obj.CreatedByID, r.store.UsersByID)
}
