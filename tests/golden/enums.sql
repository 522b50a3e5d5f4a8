CREATE TYPE public."TicketState" AS ENUM ('OPEN', 'WAITING', 'CLOSED');

CREATE TABLE public.tickets (
    id bigint NOT NULL,
    state "TicketState" DEFAULT 'OPEN' NOT NULL,
    priority text NOT NULL,
    PRIMARY KEY (id),
    CHECK (priority IN ('low', 'normal', 'high'))
);

COMMENT ON COLUMN public.tickets.id IS 'Ticket number';

COMMENT ON COLUMN public.tickets.state IS 'Where the ticket is';

COMMENT ON COLUMN public.tickets.priority IS 'One of: low, normal, high';
