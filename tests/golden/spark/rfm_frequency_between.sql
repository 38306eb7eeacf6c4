WITH `segdsl_orders` AS (
  SELECT
    `o`.`order_id` AS `order_id`,
    `o`.`customer_id` AS `customer_id`,
    CAST(`o`.`ordered_at` AS DATE) AS `local_date`,
    CAST(ROUND(`o`.`total` * 100, 0) AS BIGINT) AS `total_minor`
  FROM `orders` AS `o`
  WHERE
    `o`.`customer_id` IN (
      SELECT
        `k`.`customer_id`
      FROM `customers` AS `k`
    )
    AND CAST(`o`.`ordered_at` AS DATE) <= CAST('2024-03-31' AS DATE)
), `segdsl_agg` AS (
  SELECT
    `segdsl_orders`.`customer_id` AS `customer_id`,
    COUNT(DISTINCT `segdsl_orders`.`order_id`) AS `orders`,
    SUM(`segdsl_orders`.`total_minor`) AS `sum_minor`,
    MIN(`segdsl_orders`.`local_date`) AS `first_date`,
    MAX(`segdsl_orders`.`local_date`) AS `last_date`
  FROM `segdsl_orders`
  GROUP BY
    `segdsl_orders`.`customer_id`
), `segdsl_rank` AS (
  SELECT
    `segdsl_agg`.`customer_id` AS `customer_id`,
    RANK() OVER (ORDER BY `segdsl_agg`.`last_date`) - 1 AS `recency`,
    RANK() OVER (ORDER BY `segdsl_agg`.`orders`) - 1 AS `frequency`,
    RANK() OVER (ORDER BY `segdsl_agg`.`sum_minor`) - 1 AS `monetary`,
    COUNT(*) OVER () AS `n`
  FROM `segdsl_agg`
), `segdsl_rfm` AS (
  SELECT
    `segdsl_rank`.`customer_id` AS `customer_id`,
    CASE
      WHEN 5 * `segdsl_rank`.`recency` >= 4 * `segdsl_rank`.`n`
      THEN 5
      WHEN 5 * `segdsl_rank`.`recency` >= 3 * `segdsl_rank`.`n`
      THEN 4
      WHEN 5 * `segdsl_rank`.`recency` >= 2 * `segdsl_rank`.`n`
      THEN 3
      WHEN 5 * `segdsl_rank`.`recency` >= `segdsl_rank`.`n`
      THEN 2
      ELSE 1
    END AS `recency`,
    CASE
      WHEN 5 * `segdsl_rank`.`frequency` >= 4 * `segdsl_rank`.`n`
      THEN 5
      WHEN 5 * `segdsl_rank`.`frequency` >= 3 * `segdsl_rank`.`n`
      THEN 4
      WHEN 5 * `segdsl_rank`.`frequency` >= 2 * `segdsl_rank`.`n`
      THEN 3
      WHEN 5 * `segdsl_rank`.`frequency` >= `segdsl_rank`.`n`
      THEN 2
      ELSE 1
    END AS `frequency`,
    CASE
      WHEN 5 * `segdsl_rank`.`monetary` >= 4 * `segdsl_rank`.`n`
      THEN 5
      WHEN 5 * `segdsl_rank`.`monetary` >= 3 * `segdsl_rank`.`n`
      THEN 4
      WHEN 5 * `segdsl_rank`.`monetary` >= 2 * `segdsl_rank`.`n`
      THEN 3
      WHEN 5 * `segdsl_rank`.`monetary` >= `segdsl_rank`.`n`
      THEN 2
      ELSE 1
    END AS `monetary`
  FROM `segdsl_rank`
)
SELECT
  `c`.`customer_id` AS `customer_id`
FROM `customers` AS `c`
LEFT JOIN `segdsl_agg`
  ON `segdsl_agg`.`customer_id` = `c`.`customer_id`
LEFT JOIN `segdsl_rfm`
  ON `segdsl_rfm`.`customer_id` = `c`.`customer_id`
WHERE
  (
    NOT `segdsl_rfm`.`frequency` IS NULL AND `segdsl_rfm`.`frequency` >= 2
  )
  AND (
    NOT `segdsl_rfm`.`frequency` IS NULL AND `segdsl_rfm`.`frequency` <= 3
  )
ORDER BY
  `c`.`customer_id`
