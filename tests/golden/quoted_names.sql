CREATE SCHEMA IF NOT EXISTS "Reporting";

CREATE TABLE "Reporting"."Monthly Totals" (
    "Month" date NOT NULL,
    "order" integer NOT NULL,
    "select" text,
    "camelCase" boolean DEFAULT true,
    PRIMARY KEY ("Month")
);

CREATE TABLE public."user" (
    id integer NOT NULL,
    "Group" text,
    "from" date,
    PRIMARY KEY (id),
    UNIQUE ("Group")
);

ALTER TABLE public."user" ADD FOREIGN KEY ("from") REFERENCES "Reporting"."Monthly Totals" ("Month");

CREATE INDEX "user by Group" ON public."user" ("Group", "from");
