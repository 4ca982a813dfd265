-- Plans and add-ons. A plan carries feature keys (comma-separated
-- FeatureKey values) and limits (NULL: unlimited); an add-on adds keys
-- or raises limits. A workspace has one plan and any number of add-ons.
-- Workspaces that exist, and new ones, are on business, which has every
-- feature and no limit: nothing changes for them until an operator says.
CREATE TABLE plans (
    key                   text PRIMARY KEY,
    name                  text NOT NULL,
    position              INTEGER NOT NULL,
    features              text NOT NULL,
    max_portal_contacts   bigint,
    max_storage_bytes     bigint,
    max_partner_keys      bigint,
    max_exports_per_month bigint
);

INSERT INTO plans (key, name, position, features, max_portal_contacts, max_storage_bytes, max_partner_keys, max_exports_per_month) VALUES
    ('free', 'Free', 1, 'CLIENT_PORTALS,APPROVALS,FILES', 5, 1073741824, 0, 5),
    ('pro', 'Pro', 2, 'CLIENT_PORTALS,APPROVALS,FILES,REPORTS,EXPORTS,REQUESTS', 50, 53687091200, 2, 100),
    ('business', 'Business', 3, 'CLIENT_PORTALS,APPROVALS,REPORTS,FILES,EXPORTS,REQUESTS,PARTNER_API', NULL, NULL, NULL, NULL);

CREATE TABLE addons (
    key                   text PRIMARY KEY,
    name                  text NOT NULL,
    features              text NOT NULL DEFAULT '',
    add_portal_contacts   bigint NOT NULL DEFAULT 0,
    add_storage_bytes     bigint NOT NULL DEFAULT 0,
    add_partner_keys      bigint NOT NULL DEFAULT 0,
    add_exports_per_month bigint NOT NULL DEFAULT 0
);

INSERT INTO addons (key, name, features, add_portal_contacts, add_storage_bytes, add_partner_keys, add_exports_per_month) VALUES
    ('partner-api', 'Partner API', 'PARTNER_API', 0, 0, 5, 0),
    ('reports', 'Client reports', 'REPORTS', 0, 0, 0, 0),
    ('requests', 'Client requests', 'REQUESTS', 0, 0, 0, 0),
    ('exports', 'CSV exports', 'EXPORTS', 0, 0, 0, 0),
    ('contacts-50', '50 more portal contacts', '', 50, 0, 0, 0),
    ('storage-100gb', '100 GB more storage', '', 0, 107374182400, 0, 0),
    ('exports-500', '500 more exports a month', '', 0, 0, 0, 500);

ALTER TABLE workspaces ADD COLUMN plan text NOT NULL DEFAULT 'business' REFERENCES plans (key);

CREATE TABLE workspace_addons (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    addon        text NOT NULL REFERENCES addons (key),
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, addon)
);
