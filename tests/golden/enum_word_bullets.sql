CREATE TABLE public.tickets (
    id uuid NOT NULL,
    title text,
    status text,
    priority text,
    closed_at timestamp without time zone,
    PRIMARY KEY (id),
    CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    CHECK (status IN ('OPEN', 'IN_PROGRESS', 'WAITING', 'CLOSED'))
);

COMMENT ON COLUMN public.tickets.id IS 'Unique identifier';

COMMENT ON COLUMN public.tickets.title IS 'Ticket subject line';

COMMENT ON COLUMN public.tickets.status IS 'Current ticket status (OPEN, IN_PROGRESS, WAITING, CLOSED)';

COMMENT ON COLUMN public.tickets.priority IS 'Ticket priority level (LOW, MEDIUM, HIGH, CRITICAL)';

COMMENT ON COLUMN public.tickets.closed_at IS 'When the ticket was closed';
