CREATE TABLE public.products (
    id bigint NOT NULL,
    title text NOT NULL,
    price numeric NOT NULL,
    sku text,
    state text DEFAULT 'draft',
    vendor_id bigint,
    PRIMARY KEY (id),
    UNIQUE (sku),
    CHECK (char_length(title) <= 512),
    CHECK (price <= 100000),
    CHECK (price >= 0),
    CHECK (sku ~ E'^[A-Z]{3}-\\d+$'),
    CHECK (state IN ('draft', 'live', 'retired'))
);

CREATE TABLE public.vendors (
    id bigint NOT NULL,
    PRIMARY KEY (id)
);

ALTER TABLE public.products ADD FOREIGN KEY (vendor_id) REFERENCES public.vendors (id);

COMMENT ON COLUMN public.products.id IS 'Identifier (read only)';

COMMENT ON COLUMN public.products.title IS 'Shown to buyers';

COMMENT ON COLUMN public.products.price IS 'Unit price';

COMMENT ON COLUMN public.products.sku IS 'Stock code';

COMMENT ON COLUMN public.products.state IS 'Sale state';

COMMENT ON COLUMN public.products.vendor_id IS 'Who sells it';

COMMENT ON COLUMN public.vendors.id IS 'Identifier';
