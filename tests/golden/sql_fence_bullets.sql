CREATE TABLE public.achievements (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    points integer DEFAULT 0
);

CREATE TABLE public.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (email)
);

ALTER TABLE public.achievements ADD FOREIGN KEY (user_id) REFERENCES public.users (id);
