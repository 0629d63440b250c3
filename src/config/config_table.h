/* config_table.h - every nodefleet setting, declared once.
 *
 * This one list drives the config struct, the YAML file parser, environment overrides,
 * `--set`, `check-config` (effective config, `--example`, `--docs`) and `help settings`.
 * A name with a dot lives in a YAML section: "sim.boot_s" is `sim:` then `boot_s:`.
 * Entries of one section must stay together. Append new settings where they belong; the
 * round-trip test in tests/unit/test_config.c walks every entry.
 *
 * X(ident, name, type, min, max, default, env, flags, choices, help)
 *   type     NF_CT_INT | NF_CT_NUM | NF_CT_PCT | NF_CT_DUR (seconds) | NF_CT_BOOL | NF_CT_STR
 *   min/max  inclusive bounds for numeric types (ignored otherwise)
 *   default  text, parsed by the same code as user input (so defaults are validated too)
 *   flags    NF_CF_SECRET: masked when printed, never logged; NF_CF_INERT: accepted but
 *            without effect yet - a value set for it is warned about at start-up
 *   choices  for strings: "a|b|c" allowed values, or NULL for any text
 */
#ifndef NF_CONFIG_TABLE_H
#define NF_CONFIG_TABLE_H

#define NF_CONFIG_TABLE(X)                                                                         \
    X(cluster_id, "cluster_id", NF_CT_STR, 0, 0, "nodefleet", "CLUSTER_ID", 0, NULL,               \
      "Name of the worker pool this instance manages; the key of its state item and the "          \
      "value of the cluster tag on its instances.")                                                \
    X(policy, "policy", NF_CT_STR, 0, 0, "default", "NODEFLEET_POLICY", 0, NULL,                   \
      "Decision policy: 'default' (nodefleet's own: sized from what pods request, idle workers "   \
      "consolidated), 'seed' (node-fleet's documented rules) or 'static:N' (hold N workers, the "  \
      "baseline).")                                                                                \
    X(prometheus_url, "prometheus_url", NF_CT_STR, 0, 0, "http://127.0.0.1:9090",                  \
      "PROMETHEUS_URL", NF_CF_URL, NULL,                                                           \
      "Base URL of the Prometheus HTTP API (http or https; a path prefix is kept).")               \
    X(interval, "interval", NF_CT_DUR, 1, 86400, "30", "NODEFLEET_INTERVAL", 0, NULL,              \
      "Time between decision cycles of `nodefleet run` (the seed's Lambda ran every 2m; a "        \
      "daemon can afford to look more often).")                                                    \
    X(lease_ttl, "lease_ttl", NF_CT_DUR, 5, 86400, "360", "NODEFLEET_LEASE_TTL", 0, NULL,          \
      "How long a lease lasts unless renewed (the seed's 360 s covers a drain plus a join).")      \
    X(deadline_reserve, "deadline_reserve", NF_CT_DUR, 0, 60, "3", "NODEFLEET_DEADLINE_RESERVE",   \
      0, NULL,                                                                                     \
      "Of a run's deadline (a Lambda invocation's, once --deadline, run's interval), the time "    \
      "kept for writing the state and releasing the lease: no other call may use it.")             \
    X(store, "store", NF_CT_STR, 0, 0, "sqlite:nodefleet-state.db", "NODEFLEET_STORE", 0, NULL,    \
      "Where the pool state and the lease live: sqlite:PATH (one file, the embedded default) "     \
      "or dynamodb (the table dynamodb_table; dynamodb:TABLE names it here), shared by "           \
      "replicas and Lambda invocations; mem keeps it in memory (one process, lost on exit).")      \
    X(cluster, "cluster", NF_CT_STR, 0, 0, "kube", "NODEFLEET_CLUSTER", 0, "kube|prometheus",      \
      "How nodefleet sees the cluster: kube (the API server: nodes, pods, drains) or "             \
      "prometheus (a worker count from query_node_count; observe-only, nothing is drained).")      \
    X(cloud, "cloud", NF_CT_STR, 0, 0, "ec2", "NODEFLEET_CLOUD", 0, "ec2|none",                    \
      "Where workers come from: ec2, or none (observe-only: nothing is launched).")                \
    X(dry_run, "dry_run", NF_CT_BOOL, 0, 0, "false", "NODEFLEET_DRY_RUN", 0, NULL,                 \
      "Observe and decide, log and notify what would be done, never act (also --dry-run).")        \
    X(provision_timeout, "provision_timeout", NF_CT_DUR, 30, 86400, "600",                         \
      "NODEFLEET_PROVISION_TIMEOUT", 0, NULL,                                                      \
      "A launched worker not Ready in this time is terminated and counted as a failure.")          \
    X(dynamodb_table, "dynamodb_table", NF_CT_STR, 0, 0, "k3s-autoscaler-state", "DYNAMODB_TABLE", \
      0, NULL, "DynamoDB table holding the pool state and lease.")                                 \
    X(metrics_history_table, "metrics_history_table", NF_CT_STR, 0, 0, "k3s-metrics-history",      \
      "METRICS_HISTORY_TABLE", 0, NULL,                                                            \
      "DynamoDB table holding the seed's metrics history (key: HASH cluster_id, RANGE "            \
      "timestamp; several clusters share one) when the store is DynamoDB; with SQLite the "        \
      "history is a table beside the state.")                                                      \
    X(aws_region, "aws_region", NF_CT_STR, 0, 0, "", "AWS_REGION", 0, NULL,                        \
      "AWS region; empty means the usual AWS environment and instance metadata.")                  \
    X(min_nodes, "min_nodes", NF_CT_INT, 0, 1000, "2", "MIN_NODES", 0, NULL,                       \
      "Fewest workers (Ready plus joining) the pool may have.")                                    \
    X(max_nodes, "max_nodes", NF_CT_INT, 1, 1000, "10", "MAX_NODES", 0, NULL,                      \
      "Most workers (Ready plus joining) the pool may have.")                                      \
    X(scale_up_threshold_cpu, "scale_up_threshold_cpu", NF_CT_PCT, 0, 100, "70",                   \
      "SCALE_UP_THRESHOLD_CPU", 0, NULL,                                                           \
      "Scale up when average CPU % stays above this for scale_up_for.")                            \
    X(scale_up_threshold_memory, "scale_up_threshold_memory", NF_CT_PCT, 0, 100, "75",             \
      "NODEFLEET_SCALE_UP_THRESHOLD_MEMORY", 0, NULL,                                              \
      "Scale up when average memory % stays above this for scale_up_for.")                         \
    X(scale_up_threshold_pending_pods, "scale_up_threshold_pending_pods", NF_CT_INT, 0, 1000000,   \
      "0", "NODEFLEET_SCALE_UP_THRESHOLD_PENDING_PODS", 0, NULL,                                   \
      "Scale up when pending pods stay above this count for scale_up_for.")                        \
    X(scale_up_for, "scale_up_for", NF_CT_DUR, 0, 86400, "180", "NODEFLEET_SCALE_UP_FOR", 0, NULL, \
      "How long CPU, memory or pending pods must stay high before a scale-up.")                    \
    X(scale_up_threshold_queue_depth, "scale_up_threshold_queue_depth", NF_CT_NUM, 0, 1e12, "100", \
      "NODEFLEET_SCALE_UP_THRESHOLD_QUEUE_DEPTH", 0, NULL,                                         \
      "Scale up when the application queue depth stays above this for scale_up_app_for.")          \
    X(scale_up_threshold_latency_p95_ms, "scale_up_threshold_latency_p95_ms", NF_CT_NUM, 0, 1e9,   \
      "2000", "NODEFLEET_SCALE_UP_THRESHOLD_LATENCY_P95_MS", 0, NULL,                              \
      "Scale up when p95 request latency (ms) stays above this for scale_up_app_for.")             \
    X(scale_up_threshold_error_rate_pct, "scale_up_threshold_error_rate_pct", NF_CT_PCT, 0, 100,   \
      "5", "NODEFLEET_SCALE_UP_THRESHOLD_ERROR_RATE_PCT", 0, NULL,                                 \
      "Scale up when the 5xx error rate % stays above this for scale_up_app_for.")                 \
    X(scale_up_app_for, "scale_up_app_for", NF_CT_DUR, 0, 86400, "120",                            \
      "NODEFLEET_SCALE_UP_APP_FOR", 0, NULL,                                                       \
      "How long an application metric must stay high before a scale-up.")                          \
    X(scale_up_step, "scale_up_step", NF_CT_INT, 1, 1000, "1", "NODEFLEET_SCALE_UP_STEP", 0, NULL, \
      "Workers added by a normal scale-up.")                                                       \
    X(scale_up_urgent_step, "scale_up_urgent_step", NF_CT_INT, 1, 1000, "2",                       \
      "NODEFLEET_SCALE_UP_URGENT_STEP", 0, NULL,                                                   \
      "Workers added when the newest sample is urgent (CPU or pending pods above the "             \
      "urgent thresholds).")                                                                       \
    X(scale_up_urgent_cpu, "scale_up_urgent_cpu", NF_CT_PCT, 0, 100, "85",                         \
      "NODEFLEET_SCALE_UP_URGENT_CPU", 0, NULL,                                                    \
      "Newest CPU % above this makes a scale-up urgent.")                                          \
    X(scale_up_urgent_pending_pods, "scale_up_urgent_pending_pods", NF_CT_INT, 0, 1000000, "5",    \
      "NODEFLEET_SCALE_UP_URGENT_PENDING_PODS", 0, NULL,                                           \
      "Newest pending pod count above this makes a scale-up urgent.")                              \
    X(scale_down_threshold_cpu, "scale_down_threshold_cpu", NF_CT_PCT, 0, 100, "30",               \
      "SCALE_DOWN_THRESHOLD_CPU", 0, NULL,                                                         \
      "Scale down only while average CPU % stays below this for scale_down_for.")                  \
    X(scale_down_threshold_memory, "scale_down_threshold_memory", NF_CT_PCT, 0, 100, "50",         \
      "NODEFLEET_SCALE_DOWN_THRESHOLD_MEMORY", 0, NULL,                                            \
      "Scale down only while average memory % stays below this for scale_down_for.")               \
    X(scale_down_for, "scale_down_for", NF_CT_DUR, 0, 86400, "600", "NODEFLEET_SCALE_DOWN_FOR", 0, \
      NULL,                                                                                        \
      "How long the pool must stay idle (CPU and memory low, no pending pods) before a "           \
      "scale-down.")                                                                               \
    X(cooldown_scale_up, "cooldown_scale_up", NF_CT_DUR, 0, 86400, "300", "COOLDOWN_SCALE_UP", 0,  \
      NULL, "No scale-up within this long of the last scale-up.")                                  \
    X(cooldown_scale_down, "cooldown_scale_down", NF_CT_DUR, 0, 86400, "600",                      \
      "COOLDOWN_SCALE_DOWN", 0, NULL,                                                              \
      "No scale-down within this long of the last scale event of either kind.")                    \
    X(headroom_pct, "headroom_pct", NF_CT_PCT, 0, 100, "10", "NODEFLEET_HEADROOM_PCT", 0, NULL,    \
      "policy default: headroom as room for pods: this % of each pod shape's count (at least "     \
      "one) must fit on the workers above the recent peak, so a rise between two cycles does "     \
      "not wait a whole boot.")                                                                    \
    X(scale_down_unneeded_time, "scale_down_unneeded_time", NF_CT_DUR, 0, 86400, "600",            \
      "NODEFLEET_SCALE_DOWN_UNNEEDED_TIME", 0, NULL,                                               \
      "policy default: a worker whose pods all fit elsewhere for this long is removed (the "       \
      "Cluster Autoscaler's 10 minutes).")                                                         \
    X(peak_window, "peak_window", NF_CT_DUR, 0, 86400, "900", "NODEFLEET_PEAK_WINDOW", 0, NULL,    \
      "policy default: the pool keeps room for the peak demand the pods requested in this last "   \
      "span (by the minute up to an hour, by 5 minutes beyond), so a rise that comes back finds "  \
      "its workers; 0: only what is requested now.")                                               \
    X(forecast_ahead, "forecast_ahead", NF_CT_DUR, 0, 86400, "0", "NODEFLEET_FORECAST_AHEAD", 0,   \
      NULL,                                                                                        \
      "policy default: how far ahead the demand forecast looks (a worker's boot and one "          \
      "interval, e.g. 180s); 0 (the default for now) turns the forecast off.")                     \
    X(scale_down_max_nodes, "scale_down_max_nodes", NF_CT_INT, 1, 100, "2",                        \
      "NODEFLEET_SCALE_DOWN_MAX_NODES", 0, NULL,                                                   \
      "policy default: workers removed in one cycle at most.")                                     \
    X(enable_predictive_scaling, "enable_predictive_scaling", NF_CT_BOOL, 0, 0, "true",            \
      "ENABLE_PREDICTIVE_SCALING", 0, NULL,                                                        \
      "policy seed: node-fleet's predictive layer - each cycle's reading kept in the metrics "     \
      "history, the next hour predicted from the last 7 days when the reactive rules decide "      \
      "nothing. (policy default has its own forecast: forecast_ahead.)")                           \
    X(spot_percentage, "spot_percentage", NF_CT_PCT, 0, 100, "70", "SPOT_PERCENTAGE", 0, NULL,     \
      "Share of launched workers to run as spot instances.")                                       \
    X(log_level, "log_level", NF_CT_STR, 0, 0, "info", "NODEFLEET_LOG_LEVEL", 0,                   \
      "debug|info|warn|error", "Lowest level of log record written to stderr.")                    \
    X(prometheus_basic_auth_user, "prometheus.basic_auth_user", NF_CT_STR, 0, 0, "",               \
      "NODEFLEET_PROMETHEUS_USER", 0, NULL,                                                        \
      "User for HTTP basic auth to Prometheus (empty: no basic auth).")                            \
    X(prometheus_basic_auth_password, "prometheus.basic_auth_password", NF_CT_STR, 0, 0, "",       \
      "NODEFLEET_PROMETHEUS_PASSWORD", NF_CF_SECRET, NULL,                                         \
      "Password for basic auth to Prometheus (a secret; prefer basic_auth_password_file).")        \
    X(prometheus_basic_auth_password_file, "prometheus.basic_auth_password_file", NF_CT_STR, 0, 0, \
      "", "NODEFLEET_PROMETHEUS_PASSWORD_FILE", 0, NULL,                                           \
      "File holding the basic auth password (first line; read at start-up).")                      \
    X(prometheus_bearer_token_file, "prometheus.bearer_token_file", NF_CT_STR, 0, 0, "",           \
      "NODEFLEET_PROMETHEUS_BEARER_TOKEN_FILE", 0, NULL,                                           \
      "File holding a bearer token for Prometheus (e.g. a service-account token).")                \
    X(prometheus_ca_file, "prometheus.ca_file", NF_CT_STR, 0, 0, "",                               \
      "NODEFLEET_PROMETHEUS_CA_FILE", 0, NULL,                                                     \
      "CA bundle to verify Prometheus' TLS certificate (empty: the system's). TLS is "             \
      "always verified.")                                                                          \
    X(prometheus_connect_timeout, "prometheus.connect_timeout", NF_CT_DUR, 0.01, 60, "2",          \
      "NODEFLEET_PROMETHEUS_CONNECT_TIMEOUT", 0, NULL,                                             \
      "How long to wait for a connection to Prometheus.")                                          \
    X(prometheus_timeout, "prometheus.timeout", NF_CT_DUR, 0.01, 300, "5",                         \
      "NODEFLEET_PROMETHEUS_TIMEOUT", 0, NULL,                                                     \
      "How long one query may take, all in (every attempt and the waits between them); "           \
      "slower is a failed query (signal unknown).")                                                \
    X(prometheus_attempts, "prometheus.attempts", NF_CT_INT, 1, 5, "2",                            \
      "NODEFLEET_PROMETHEUS_ATTEMPTS", 0, NULL,                                                    \
      "Tries per query (queries are idempotent) on connection errors, 429 and 5xx.")               \
    X(prometheus_max_response_bytes, "prometheus.max_response_bytes", NF_CT_INT, 1024, 1073741824, \
      "8388608", "NODEFLEET_PROMETHEUS_MAX_RESPONSE_BYTES", 0, NULL,                               \
      "Largest Prometheus response accepted; a larger one is a failed query.")                     \
    X(prometheus_step, "prometheus.step", NF_CT_DUR, 1, 3600, "15", "NODEFLEET_PROMETHEUS_STEP",   \
      0, NULL,                                                                                     \
      "Resolution of the signal history read for sustained conditions (match the scrape "          \
      "interval).")                                                                                \
    X(prometheus_server_nodes, "prometheus.server_nodes", NF_CT_INT, 0, 100, "1",                  \
      "NODEFLEET_PROMETHEUS_SERVER_NODES", 0, NULL,                                                \
      "Nodes counted by query_node_count that are not workers (the K3s server).")                  \
    X(prometheus_query_cpu, "prometheus.query_cpu", NF_CT_STR, 0, 0,                               \
      "(1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))) * 100",                          \
      "NODEFLEET_PROMETHEUS_QUERY_CPU", 0, NULL, "PromQL: average CPU utilisation, %.")            \
    X(prometheus_query_memory, "prometheus.query_memory", NF_CT_STR, 0, 0,                         \
      "(1 - avg(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)) * 100",              \
      "NODEFLEET_PROMETHEUS_QUERY_MEMORY", 0, NULL, "PromQL: average memory utilisation, %.")      \
    X(prometheus_query_pending_pods, "prometheus.query_pending_pods", NF_CT_STR, 0, 0,             \
      "sum(kube_pod_status_phase{phase=\"Pending\"})", "NODEFLEET_PROMETHEUS_QUERY_PENDING_PODS",  \
      0, NULL, "PromQL: pods waiting for a node.")                                                 \
    X(prometheus_query_queue_depth, "prometheus.query_queue_depth", NF_CT_STR, 0, 0,               \
      "sum(app_queue_depth{queue=\"default\"})", "NODEFLEET_PROMETHEUS_QUERY_QUEUE_DEPTH", 0,      \
      NULL, "PromQL: application queue depth (an empty query switches a signal off).")             \
    X(prometheus_query_latency_p95_ms, "prometheus.query_latency_p95_ms", NF_CT_STR, 0, 0,         \
      "histogram_quantile(0.95, sum by (le) "                                                      \
      "(rate(http_request_duration_seconds_bucket[5m]))) * 1000",                                  \
      "NODEFLEET_PROMETHEUS_QUERY_LATENCY_P95_MS", 0, NULL, "PromQL: p95 request latency in ms.")  \
    X(prometheus_query_error_rate_pct, "prometheus.query_error_rate_pct", NF_CT_STR, 0, 0,         \
      "sum(rate(http_requests_total{status=~\"5..\"}[2m])) / "                                     \
      "sum(rate(http_requests_total[2m])) * 100",                                                  \
      "NODEFLEET_PROMETHEUS_QUERY_ERROR_RATE_PCT", 0, NULL,                                        \
      "PromQL: share of requests answered 5xx, %.")                                                \
    X(prometheus_query_node_count, "prometheus.query_node_count", NF_CT_STR, 0, 0,                 \
      "count(kube_node_info)", "NODEFLEET_PROMETHEUS_QUERY_NODE_COUNT", 0, NULL,                   \
      "PromQL: nodes in the cluster (workers plus server_nodes).")                                 \
    X(prometheus_query_demand_cores, "prometheus.query_demand_cores", NF_CT_STR, 0, 0,             \
      "sum(rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))",                                     \
      "NODEFLEET_PROMETHEUS_QUERY_DEMAND_CORES", 0, NULL,                                          \
      "PromQL for replay: busy CPU cores across the cluster (the demand to replay).")              \
    X(aws_launch_template, "aws.launch_template", NF_CT_STR, 0, 0, "",                             \
      "NODEFLEET_LAUNCH_TEMPLATE", 0, NULL,                                                        \
      "EC2 launch template for workers: a name, or an id (lt-...). Its user data joins "           \
      "K3s; nodefleet adds the subnet, market and tags.")                                          \
    X(aws_launch_template_version, "aws.launch_template_version", NF_CT_STR, 0, 0, "$Default",     \
      "NODEFLEET_LAUNCH_TEMPLATE_VERSION", 0, NULL,                                                \
      "Launch template version: $Default, $Latest or a number.")                                   \
    X(aws_subnets, "aws.subnets", NF_CT_STR, 0, 0, "", "NODEFLEET_SUBNETS", 0, NULL,               \
      "Where workers go, one subnet per availability zone: "                                       \
      "\"us-east-1a=subnet-aaa,us-east-1b=subnet-bbb\". New workers go to the zone with "          \
      "the fewest.")                                                                               \
    X(aws_pool_tags, "aws.pool_tags", NF_CT_STR, 0, 0,                                             \
      "nodefleet:cluster={cluster_id},Role=k3s-worker", "NODEFLEET_POOL_TAGS", 0, NULL,            \
      "The tags that make an instance part of the pool, Key=Value pairs ({cluster_id} is "         \
      "replaced): nodefleet counts, drains and terminates the instances carrying all of them, "    \
      "and puts them on the workers it launches. node-fleet's workers: "                           \
      "Role=k3s-worker,Project=node-fleet (see the README's migration notes).")                    \
    X(aws_instance_type, "aws.instance_type", NF_CT_STR, 0, 0, "", "NODEFLEET_INSTANCE_TYPE", 0,   \
      NULL,                                                                                        \
      "Instance type for workers; empty keeps the launch template's. One type: the "               \
      "shorthand of aws.instance_types.")                                                          \
    X(aws_instance_types, "aws.instance_types", NF_CT_STR, 0, 0, "", "NODEFLEET_INSTANCE_TYPES",   \
      0, NULL,                                                                                     \
      "Instance types for workers, in order of preference: \"m5.large,c5.large,m6i.large\". "      \
      "Each scale-up buys the cheapest combination that hosts the pending pods, and spot "         \
      "workers are spread over the pools (type x zone); empty: aws.instance_type.")                \
    X(aws_prices, "aws.prices", NF_CT_STR, 0, 0, "", "NODEFLEET_PRICES", 0, NULL,                  \
      "On-demand dollars an hour per type, over or beside the built-in table (us-east-1, "         \
      "us-east-2, us-west-2, eu-west-1): \"m5.large=0.096,c5.large=0.085\".")                      \
    X(aws_spot_prices, "aws.spot_prices", NF_CT_STR, 0, 0, "", "NODEFLEET_SPOT_PRICES", 0, NULL,   \
      "Spot dollars an hour per type (TYPE=PRICE) or per type in one zone "                        \
      "(TYPE@ZONE=PRICE), instead of DescribeSpotPriceHistory's (read hourly).")                   \
    X(aws_capacity_backoff, "aws.capacity_backoff", NF_CT_DUR, 0, 86400, "600",                    \
      "NODEFLEET_CAPACITY_BACKOFF", 0, NULL,                                                       \
      "After a capacity error, how long a zone and market (spot or on-demand) is skipped.")        \
    X(aws_timeout, "aws.timeout", NF_CT_DUR, 1, 300, "10", "NODEFLEET_AWS_TIMEOUT", 0, NULL,       \
      "Timeout of one attempt of an AWS API request (retries come after it); also the time a "     \
      "cycle must have left to start a step that calls AWS.")                                      \
    X(aws_describe_page_size, "aws.describe_page_size", NF_CT_INT, 5, 1000, "500",                 \
      "NODEFLEET_DESCRIBE_PAGE_SIZE", 0, NULL,                                                     \
      "Instances per DescribeInstances page (the API's MaxResults, 5 to 1000).")                   \
    X(aws_sns_topic_arn, "aws.sns_topic_arn", NF_CT_STR, 0, 0, "", "NODEFLEET_SNS_TOPIC_ARN", 0,   \
      NULL, "SNS topic for scale notifications (empty: none).")                                    \
    X(aws_cloudwatch_namespace, "aws.cloudwatch_namespace", NF_CT_STR, 0, 0, "NodeFleet",          \
      "NODEFLEET_CLOUDWATCH_NAMESPACE", 0, NULL,                                                   \
      "CloudWatch namespace of nodefleet's custom metrics.")                                       \
    X(aws_interruption_queue_url, "aws.interruption_queue_url", NF_CT_STR, 0, 0, "",               \
      "NODEFLEET_INTERRUPTION_QUEUE_URL", 0, NULL,                                                 \
      "SQS queue EventBridge feeds with EC2 spot interruption warnings, rebalance "                \
      "recommendations, state changes and AWS Health scheduled changes: an interrupted worker "    \
      "is drained against its deadline and replaced at once (empty: none).")                       \
    X(aws_rebalance, "aws.rebalance", NF_CT_STR, 0, 0, "note", "NODEFLEET_REBALANCE", 0,           \
      "note|replace",                                                                              \
      "A rebalance recommendation for a spot worker: note (its pool rests, so the next launches "  \
      "prefer others) or replace (drained and replaced at once, as if its two-minute warning "     \
      "had come).")                                                                                \
    X(aws_prometheus_secret, "aws.prometheus_secret", NF_CT_STR, 0, 0, "",                         \
      "NODEFLEET_PROMETHEUS_SECRET", 0, NULL,                                                      \
      "Secrets Manager id of Prometheus basic auth, JSON {\"username\", \"password\"} (the "       \
      "seed's node-fleet/prometheus-auth); empty: not used.")                                      \
    X(aws_slack_webhook_secret, "aws.slack_webhook_secret", NF_CT_STR, 0, 0, "",                   \
      "NODEFLEET_SLACK_WEBHOOK_SECRET", 0, NULL,                                                   \
      "Secrets Manager id of the Slack webhook URL (the seed's node-fleet/slack-webhook).")        \
    X(aws_kubeconfig_secret, "aws.kubeconfig_secret", NF_CT_STR, 0, 0, "",                         \
      "NODEFLEET_KUBECONFIG_SECRET", 0, NULL,                                                      \
      "Secrets Manager id of a kubeconfig to reach the API server with (self-contained: "         \
      "certificate-authority-data and a token inline; a Lambda has no file for one); "             \
      "over kube.kubeconfig. Empty: not used.")                                                   \
    X(aws_worker_role, "aws.worker_role", NF_CT_STR, 0, 0, "k3s-worker",                          \
      "NODEFLEET_WORKER_ROLE", 0, NULL,                                                            \
      "Name of the IAM role the launch template's instance profile gives the workers; only the "  \
      "IAM policy uses it (iam:PassRole on exactly that role).")                                  \
    X(kube_kubeconfig, "kube.kubeconfig", NF_CT_STR, 0, 0, "", "KUBECONFIG", 0, NULL,              \
      "Kubeconfig file(s) for the API server (a colon-separated list: the first that "             \
      "exists); empty: ~/.kube/config, then in-cluster, then /etc/rancher/k3s/k3s.yaml.")          \
    X(kube_context, "kube.context", NF_CT_STR, 0, 0, "", "NODEFLEET_KUBE_CONTEXT", 0, NULL,        \
      "Kubeconfig context to use; empty: its current-context.")                                    \
    X(kube_serviceaccount_dir, "kube.serviceaccount_dir", NF_CT_STR, 0, 0,                         \
      "/var/run/secrets/kubernetes.io/serviceaccount", "NODEFLEET_KUBE_SERVICEACCOUNT_DIR", 0,     \
      NULL, "In a pod: where the service account's token and ca.crt are.")                         \
    X(kube_timeout, "kube.timeout", NF_CT_DUR, 1, 600, "10", "NODEFLEET_KUBE_TIMEOUT", 0, NULL,    \
      "Timeout of one API server request (watches excepted); also the time a cycle must have "     \
      "left to start a step that calls the API server.")                                           \
    X(kube_page_size, "kube.page_size", NF_CT_INT, 10, 5000, "500", "NODEFLEET_KUBE_PAGE_SIZE", 0, \
      NULL, "Objects per list page (the API's limit; kubectl uses 500).")                          \
    X(kube_watch, "kube.watch", NF_CT_BOOL, 0, 0, "true", "NODEFLEET_KUBE_WATCH", 0, NULL,         \
      "`run` keeps the cluster in a watched cache: each kind listed once, then followed with "     \
      "watches (as informers do), so a cycle reads memory instead of listing every pod. `once` "   \
      "and `lambda` always list. false: `run` lists every cycle too.")                             \
    X(kube_drain_timeout, "kube.drain_timeout", NF_CT_DUR, 10, 86400, "300",                       \
      "NODEFLEET_DRAIN_TIMEOUT", 0, NULL,                                                          \
      "A drain not finished in this time is aborted and the node uncordoned (the seed: "           \
      "300 s).")                                                                                   \
    X(kube_eviction_retry, "kube.eviction_retry", NF_CT_DUR, 1, 600, "5",                          \
      "NODEFLEET_EVICTION_RETRY", 0, NULL,                                                         \
      "Wait before retrying an eviction a PodDisruptionBudget refused, unless the API "            \
      "server says how long (kubectl: 5 s).")                                                      \
    X(kube_market_label, "kube.market_label", NF_CT_STR, 0, 0, "node.kubernetes.io/lifecycle",     \
      "NODEFLEET_KUBE_MARKET_LABEL", 0, NULL,                                                      \
      "Node label telling spot from on-demand workers (set by the launch template's K3s "          \
      "join).")                                                                                    \
    X(kube_market_spot_value, "kube.market_spot_value", NF_CT_STR, 0, 0, "spot",                   \
      "NODEFLEET_KUBE_MARKET_SPOT_VALUE", 0, NULL,                                                 \
      "The market label's value on spot workers (any case).")                                      \
    X(kube_node_labels, "kube.node_labels", NF_CT_STR, 0, 0, "", "NODEFLEET_KUBE_NODE_LABELS", 0,  \
      NULL,                                                                                        \
      "Labels a new worker registers with (its K3s --node-label flags), key=value,...: a "         \
      "pending pod whose nodeSelector or node affinity they fail is not bought for.")              \
    X(kube_node_taints, "kube.node_taints", NF_CT_STR, 0, 0, "", "NODEFLEET_KUBE_NODE_TAINTS", 0,  \
      NULL,                                                                                        \
      "Taints a new worker registers with (K3s --node-taint), key=value:Effect,...: a pending "    \
      "pod that does not tolerate one is not bought for.")                                         \
    X(server_listen, "server.listen", NF_CT_STR, 0, 0, "127.0.0.1:9470", "NODEFLEET_LISTEN", 0,    \
      NULL,                                                                                        \
      "Address of /metrics, /healthz and /readyz: HOST:PORT, [IPV6]:PORT or :PORT (all "           \
      "interfaces); port 0 picks a free port; empty turns the endpoints off.")                     \
    X(notify_slack_webhook_url, "notify.slack_webhook_url", NF_CT_STR, 0, 0, "",                   \
      "SLACK_WEBHOOK_URL", NF_CF_SECRET | NF_CF_URL, NULL,                                         \
      "Slack incoming-webhook URL for scale notifications (a secret: masked when "                 \
      "printed).")                                                                                 \
    X(sim_node_vcpu, "sim.node_vcpu", NF_CT_NUM, 0.1, 1024, "2", "NODEFLEET_SIM_NODE_VCPU", 0,     \
      NULL, "Simulator: vCPUs of one worker (t3.small: 2).")                                       \
    X(sim_node_memory_mib, "sim.node_memory_mib", NF_CT_NUM, 64, 16777216, "2048",                 \
      "NODEFLEET_SIM_NODE_MEMORY_MIB", 0, NULL,                                                    \
      "Simulator: memory of one worker in MiB (t3.small: 2048).")                                  \
    X(sim_pod_shapes, "sim.pod_shapes", NF_CT_STR, 0, 0, "0.25:256:30,0.5:512:40,1:1024:30",       \
      "NODEFLEET_SIM_POD_SHAPES", 0, NULL,                                                         \
      "Simulator: the workload's pod shapes, CPU:MEMORY_MIB:SHARE each (vCPU requested, MiB, "     \
      "% of the demand), one Deployment and HPA per shape.")                                       \
    X(sim_unevictable_pct, "sim.unevictable_pct", NF_CT_PCT, 0, 100, "5",                          \
      "NODEFLEET_SIM_UNEVICTABLE_PCT", 0, NULL,                                                    \
      "Simulator: share of pods that may not be evicted (StatefulSet, single replica, "            \
      "annotated); a node holding one may not be removed.")                                        \
    X(sim_max_pods_per_node, "sim.max_pods_per_node", NF_CT_INT, 1, 1000, "110",                   \
      "NODEFLEET_SIM_MAX_PODS_PER_NODE", 0, NULL,                                                  \
      "Simulator: pods one worker may hold (the kubelet's maxPods).")                              \
    X(sim_scheduler, "sim.scheduler", NF_CT_STR, 0, 0, "most-allocated",                           \
      "NODEFLEET_SIM_SCHEDULER", 0, "most-allocated|least-allocated",                              \
      "Simulator: how the scheduler scores workers: most-allocated (pack: the scoring "            \
      "deploy/k3s/scheduler.yaml configures, as GKE's optimize-utilization profile does) or "      \
      "least-allocated (kube-scheduler's default: spread).")                                       \
    X(sim_hpa_target_pct, "sim.hpa_target_pct", NF_CT_PCT, 1, 100, "70",                           \
      "NODEFLEET_SIM_HPA_TARGET_PCT", 0, NULL,                                                     \
      "Simulator: the HPA keeps pods at this % of their CPU request.")                             \
    X(sim_peak_nodes, "sim.peak_nodes", NF_CT_INT, 1, 1000, "8", "NODEFLEET_SIM_PEAK_NODES", 0,    \
      NULL,                                                                                        \
      "Simulator: the trace is scaled so this many workers are needed at its "                     \
      "peak percentile.")                                                                          \
    X(sim_peak_percentile, "sim.peak_percentile", NF_CT_PCT, 1, 100, "99",                         \
      "NODEFLEET_SIM_PEAK_PERCENTILE", 0, NULL,                                                    \
      "Simulator: the percentile of the trace that sim.peak_nodes refers to.")                     \
    X(sim_boot_s, "sim.boot_s", NF_CT_DUR, 0, 86400, "90", "NODEFLEET_SIM_BOOT_S", 0, NULL,        \
      "Simulator: mean time from launch to Ready.")                                                \
    X(sim_boot_jitter_s, "sim.boot_jitter_s", NF_CT_DUR, 0, 86400, "30",                           \
      "NODEFLEET_SIM_BOOT_JITTER_S", 0, NULL,                                                      \
      "Simulator: boot time is uniform in boot_s plus or minus this.")                             \
    X(sim_drain_s, "sim.drain_s", NF_CT_DUR, 0, 86400, "60", "NODEFLEET_SIM_DRAIN_S", 0, NULL,     \
      "Simulator: time from drain start to instance termination.")                                 \
    X(sim_interval_s, "sim.interval_s", NF_CT_DUR, 0, 86400, "0", "NODEFLEET_SIM_INTERVAL_S", 0,   \
      NULL,                                                                                        \
      "Simulator: time between decision cycles for every policy; 0 = each policy's own (seed: "    \
      "120s, node-fleet's EventBridge rate); NAME@30s names one policy's.")                        \
    X(sim_sample_s, "sim.sample_s", NF_CT_DUR, 1, 3600, "15", "NODEFLEET_SIM_SAMPLE_S", 0, NULL,   \
      "Simulator: time between metric samples (Prometheus scrape interval).")                      \
    X(sim_price_on_demand, "sim.price_on_demand", NF_CT_NUM, 0.0001, 1000, "0.0232",               \
      "NODEFLEET_SIM_PRICE_ON_DEMAND", 0, NULL,                                                    \
      "Simulator: on-demand price per worker-hour in USD (t3.small).")                             \
    X(sim_price_spot, "sim.price_spot", NF_CT_NUM, 0.0001, 1000, "0.0070",                         \
      "NODEFLEET_SIM_PRICE_SPOT", 0, NULL,                                                         \
      "Simulator: spot price per worker-hour in USD (t3.small).")                                  \
    X(sim_min_billed_s, "sim.min_billed_s", NF_CT_DUR, 0, 86400, "60",                             \
      "NODEFLEET_SIM_MIN_BILLED_S", 0, NULL,                                                       \
      "Simulator: per-second billing, but at least this long per instance.")                       \
    X(sim_node_types, "sim.node_types", NF_CT_STR, 0, 0, "", "NODEFLEET_SIM_NODE_TYPES", 0, NULL,  \
      "Simulator: several worker types, NAME:VCPU:MEMORY_MIB:ON_DEMAND:SPOT[:PCT_MONTH] ($ an "    \
      "hour; PCT_MONTH: that type's spot pool's interruptions, else the common rate), "            \
      "comma-separated; the cycle chooses among them as aws.instance_types does, the first is "    \
      "the one the policies count in and the trace is scaled to. Empty: one type, "                \
      "sim.node_vcpu / sim.node_memory_mib at sim.price_on_demand / sim.price_spot.")              \
    X(sim_spot_interruptions_per_hour, "sim.spot_interruptions_per_hour", NF_CT_NUM, 0, 60, "0",   \
      "NODEFLEET_SIM_SPOT_INTERRUPTIONS_PER_HOUR", 0, NULL,                                        \
      "Simulator: chance per hour that a spot worker is reclaimed; above 0 it overrides "          \
      "sim.spot_interruption_pct_month.")                                                          \
    X(sim_spot_interruption_pct_month, "sim.spot_interruption_pct_month", NF_CT_PCT, 0, 100, "5",  \
      "NODEFLEET_SIM_SPOT_INTERRUPTION_PCT_MONTH", 0, NULL,                                        \
      "Simulator: share of spot workers reclaimed in a month (30 days) - the Spot Instance "       \
      "Advisor's bands are <5, 5-10, 10-15, 15-20 and >20; 0 = never.")                            \
    X(sim_interruption_response, "sim.interruption_response", NF_CT_STR, 0, 0, "replace",          \
      "NODEFLEET_SIM_INTERRUPTION_RESPONSE", 0, "replace|wait",                                    \
      "Simulator: what happens at a spot warning - replace (nodefleet with an interruption "       \
      "queue: drained and replaced at once) or wait (the pods go pending and the policy buys "     \
      "for them, as the Cluster Autoscaler does).")                                                \
    X(sim_spot_warning_s, "sim.spot_warning_s", NF_CT_DUR, 0, 3600, "120",                         \
      "NODEFLEET_SIM_SPOT_WARNING_S", 0, NULL,                                                     \
      "Simulator: notice between a spot interruption warning and the instance's end.")             \
    X(sim_seed, "sim.seed", NF_CT_INT, 0, 4294967295LL, "1", "NODEFLEET_SIM_SEED", 0, NULL,        \
      "Simulator: random seed; the same seed and inputs give the same report.")

#endif
