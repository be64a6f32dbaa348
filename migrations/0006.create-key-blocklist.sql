-- depends: 0005.create-customer-cluster-merges
-- Identifier values that never link two sales: placeholders typed into checkout forms.
-- tenant_id NULL = every tenant (a reference table under Citus). Patterns match the
-- normalized value: exact text, or a regular expression (~) when is_regex.
CREATE TABLE omni_identity.key_blocklist (
    tenant_id     text    CHECK (tenant_id <> ''),
    key_type      text    NOT NULL CHECK (key_type IN ('email', 'phone', 'document')),
    value_pattern text    NOT NULL CHECK (value_pattern <> ''),
    is_regex      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT key_blocklist_tenant_pattern_key
        UNIQUE NULLS NOT DISTINCT (tenant_id, key_type, value_pattern, is_regex)
);
COMMENT ON TABLE omni_identity.key_blocklist IS
    'Identifier values that never link (tenant_id NULL = every tenant); exact or regex on the normalized value.';

INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex) VALUES
    (NULL, 'email',    'teste@teste.com',  false),
    (NULL, 'email',    'test@test.com',    false),
    (NULL, 'email',    'nao@tem.com',      false),
    (NULL, 'email',    'naotem@naotem.com', false),
    (NULL, 'email',    'email@email.com',  false),
    (NULL, 'email',    'sem@email.com',    false),
    (NULL, 'email',    '@example\.com$',   true),
    -- Brazilian numbers whose subscriber digits (after +55 and the area code) are all equal.
    (NULL, 'phone',    '^\+55[1-9][0-9]([0-9])\1{7,8}$', true),
    (NULL, 'document', '12345678909',      false);
