CREATE TABLE public.customers (
    id bigint NOT NULL,
    email text NOT NULL,
    nickname character varying(40),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (email)
);

CREATE TABLE public.orders (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id bigint NOT NULL,
    total numeric(10,2) NOT NULL,
    note text,
    PRIMARY KEY (id),
    CHECK (total >= 0)
);

ALTER TABLE public.orders ADD FOREIGN KEY (customer_id) REFERENCES public.customers (id);

COMMENT ON COLUMN public.customers.id IS 'Customer number';

COMMENT ON COLUMN public.customers.email IS 'Sign-in address';

COMMENT ON COLUMN public.customers.nickname IS 'Shown in reviews';

COMMENT ON COLUMN public.customers.created_at IS 'When the account was made';

COMMENT ON COLUMN public.orders.id IS 'Order identifier';

COMMENT ON COLUMN public.orders.customer_id IS 'Who ordered';

COMMENT ON COLUMN public.orders.total IS 'Amount due';

COMMENT ON COLUMN public.orders.note IS 'Free text';
