CREATE TABLE public.bins (
    code text NOT NULL,
    zone character(1) NOT NULL,
    PRIMARY KEY (code),
    CHECK (zone IN ('A', 'B', 'C'))
);

CREATE TABLE public.moves (
    id bigint NOT NULL,
    from_bin text,
    to_bin text NOT NULL,
    sku text NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE public.stock (
    bin_code text NOT NULL,
    sku text NOT NULL,
    quantity integer DEFAULT 0 NOT NULL,
    PRIMARY KEY (bin_code, sku),
    CHECK (quantity >= 0)
);

ALTER TABLE public.moves ADD FOREIGN KEY (from_bin) REFERENCES public.bins (code);

ALTER TABLE public.moves ADD FOREIGN KEY (to_bin) REFERENCES public.bins (code);

ALTER TABLE public.stock ADD FOREIGN KEY (bin_code) REFERENCES public.bins (code);

COMMENT ON COLUMN public.moves.id IS 'move number';

COMMENT ON COLUMN public.moves.from_bin IS 'where the goods left';

COMMENT ON COLUMN public.moves.to_bin IS 'where they went';

COMMENT ON COLUMN public.moves.sku IS 'what moved';
