WITH "segdsl_orders" AS (
  SELECT
    "o"."order_id" AS "order_id",
    "o"."customer_id" AS "customer_id",
    CAST("o"."ordered_at" AS Nullable(Date32)) AS "local_date",
    CAST(ROUND("o"."total" * 100, 0) AS Nullable(Int64)) AS "total_minor"
  FROM "orders" AS "o"
  WHERE
    "o"."customer_id" IN (
      SELECT
        "k"."customer_id"
      FROM "customers" AS "k"
    )
    AND CAST("o"."ordered_at" AS Nullable(Date32)) <= CAST('2024-03-31' AS Nullable(Date32))
), "segdsl_agg" AS (
  SELECT
    "segdsl_orders"."customer_id" AS "customer_id",
    COUNT(DISTINCT "segdsl_orders"."order_id") AS "orders",
    SUM("segdsl_orders"."total_minor") AS "sum_minor",
    MIN("segdsl_orders"."local_date") AS "first_date",
    MAX("segdsl_orders"."local_date") AS "last_date"
  FROM "segdsl_orders"
  GROUP BY
    "segdsl_orders"."customer_id"
)
SELECT
  "c"."customer_id" AS "customer_id"
FROM "customers" AS "c"
LEFT JOIN "segdsl_agg"
  ON "segdsl_agg"."customer_id" = "c"."customer_id"
WHERE
  (
    COALESCE("segdsl_agg"."orders", 0) = 0 OR COALESCE("segdsl_agg"."orders", 0) = 1
  )
  AND (
    NOT (
      "c"."name" IS NULL
    )
    AND lowerUTF8(REPLACE("c"."name", 'İ', 'i̇')) = 'resume'
  )
ORDER BY
  "c"."customer_id"
SETTINGS join_use_nulls = 1
