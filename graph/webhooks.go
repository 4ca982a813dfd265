package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"portalgraph/internal/portal"
	"portalgraph/internal/webhook"
)

// webhookStore keeps webhook endpoints and their deliveries; part of
// Store.
type webhookStore interface {
	WebhookEndpoints(ctx context.Context, p portal.Principal, page portal.PageArgs) (*portal.WebhookEndpointConnection, error)
	DeliveriesOfEndpoints(ctx context.Context, p portal.Principal, endpointIDs []string, page portal.PageArgs) (map[string]*portal.WebhookDeliveryConnection, error)
	CreateWebhookEndpoint(ctx context.Context, p portal.Principal, in portal.CreateWebhookEndpointInput, secret string) (*portal.WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, p portal.Principal, id string) error
	EnableWebhookEndpoint(ctx context.Context, p portal.Principal, id string) (*portal.WebhookEndpoint, error)
	RedeliverWebhook(ctx context.Context, p portal.Principal, deliveryID string) (*portal.WebhookDelivery, error)
}

// createWebhookEndpoint checks the URL (its host must resolve to public
// addresses unless the operator allows others) and makes the secret,
// which the payload shows once.
func (r *Resolver) createWebhookEndpoint(ctx context.Context, in portal.CreateWebhookEndpointInput) (*portal.CreateWebhookEndpointPayload, error) {
	p := portal.PrincipalFrom(ctx)
	if !p.Can(portal.PermissionWebhooksManage) {
		return nil, portal.Forbidden("the %s permission is required", portal.PermissionWebhooksManage)
	}
	if err := webhook.CheckURL(ctx, in.URL, r.webhooksAllowPrivate); err != nil {
		return nil, portal.InvalidField("input.url", err.Error())
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret := "whsec_" + hex.EncodeToString(b)
	e, err := r.store.CreateWebhookEndpoint(ctx, p, in, secret)
	if err != nil {
		return nil, err
	}
	return &portal.CreateWebhookEndpointPayload{WebhookEndpoint: e, Secret: secret}, nil
}

func (r *Resolver) deleteWebhookEndpoint(ctx context.Context, in portal.DeleteWebhookEndpointInput) (*portal.DeleteWebhookEndpointPayload, error) {
	if err := r.store.DeleteWebhookEndpoint(ctx, portal.PrincipalFrom(ctx), in.ID); err != nil {
		return nil, err
	}
	return &portal.DeleteWebhookEndpointPayload{DeletedWebhookEndpointID: in.ID}, nil
}

func (r *Resolver) enableWebhookEndpoint(ctx context.Context, in portal.EnableWebhookEndpointInput) (*portal.EnableWebhookEndpointPayload, error) {
	e, err := r.store.EnableWebhookEndpoint(ctx, portal.PrincipalFrom(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &portal.EnableWebhookEndpointPayload{WebhookEndpoint: e}, nil
}

func (r *Resolver) redeliverWebhook(ctx context.Context, in portal.RedeliverWebhookInput) (*portal.RedeliverWebhookPayload, error) {
	d, err := r.store.RedeliverWebhook(ctx, portal.PrincipalFrom(ctx), in.DeliveryID)
	if err != nil {
		return nil, err
	}
	return &portal.RedeliverWebhookPayload{Delivery: d}, nil
}
