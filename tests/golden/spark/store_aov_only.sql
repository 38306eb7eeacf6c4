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
), `segdsl_store` AS (
  SELECT
    SUM(`segdsl_orders`.`total_minor`) AS `sum_minor`,
    COUNT(*) AS `n`
  FROM `segdsl_orders`
)
SELECT
  `c`.`customer_id` AS `customer_id`
FROM `customers` AS `c`
LEFT JOIN `segdsl_agg`
  ON `segdsl_agg`.`customer_id` = `c`.`customer_id`
CROSS JOIN `segdsl_store`
WHERE
  `segdsl_store`.`n` > 0
  AND `segdsl_store`.`sum_minor` <= CAST(`segdsl_store`.`n` AS DECIMAL(38, 0)) * 2050
ORDER BY
  `c`.`customer_id`
