/* services.c - service descriptions and shape models for the operations nodefleet uses.
 * The models are written here for these operations only, in the botocore shape format; the
 * member and location names are the services' wire names. */
#include "services.h"

#include "crypto.h"
#include "xml.h"

#include <pthread.h>

static const char ec2_model[] =
    "{"
    "\"RunInstancesRequest\":{\"type\":\"structure\",\"members\":{"
    "  \"MinCount\":{\"shape\":\"Integer\"},\"MaxCount\":{\"shape\":\"Integer\"},"
    "  \"LaunchTemplate\":{\"shape\":\"LaunchTemplateSpecification\"},"
    "  \"InstanceMarketOptions\":{\"shape\":\"InstanceMarketOptionsRequest\"},"
    "  \"InstanceType\":{\"shape\":\"String\"},"
    "  \"SubnetId\":{\"shape\":\"String\"},\"ClientToken\":{\"shape\":\"String\"},"
    "  "
    "\"TagSpecifications\":{\"shape\":\"TagSpecificationList\",\"locationName\":"
    "\"TagSpecification\"}}},"
    "\"LaunchTemplateSpecification\":{\"type\":\"structure\",\"members\":{"
    "  \"LaunchTemplateId\":{\"shape\":\"String\"},\"LaunchTemplateName\":{\"shape\":\"String\"},"
    "  \"Version\":{\"shape\":\"String\"}}},"
    "\"InstanceMarketOptionsRequest\":{\"type\":\"structure\",\"members\":{"
    "  \"MarketType\":{\"shape\":\"String\"},\"SpotOptions\":{\"shape\":\"SpotMarketOptions\"}}},"
    "\"SpotMarketOptions\":{\"type\":\"structure\",\"members\":{"
    "  \"MaxPrice\":{\"shape\":\"String\"},\"SpotInstanceType\":{\"shape\":\"String\"},"
    "  \"InstanceInterruptionBehavior\":{\"shape\":\"String\"}}},"
    "\"TagSpecificationList\":{\"type\":\"list\",\"member\":{\"shape\":\"TagSpecification\","
    "\"locationName\":\"item\"}},"
    "\"TagSpecification\":{\"type\":\"structure\",\"members\":{"
    "  \"ResourceType\":{\"shape\":\"String\",\"locationName\":\"resourceType\"},"
    "  \"Tags\":{\"shape\":\"TagList\",\"locationName\":\"Tag\"}}},"
    "\"TagList\":{\"type\":\"list\",\"member\":{\"shape\":\"Tag\",\"locationName\":\"item\"}},"
    "\"Tag\":{\"type\":\"structure\",\"members\":{"
    "  \"Key\":{\"shape\":\"String\",\"locationName\":\"key\"},"
    "  \"Value\":{\"shape\":\"String\",\"locationName\":\"value\"}}},"
    "\"Reservation\":{\"type\":\"structure\",\"members\":{"
    "  \"ReservationId\":{\"shape\":\"String\",\"locationName\":\"reservationId\"},"
    "  \"Instances\":{\"shape\":\"InstanceList\",\"locationName\":\"instancesSet\"}}},"
    "\"InstanceList\":{\"type\":\"list\",\"member\":{\"shape\":\"Instance\",\"locationName\":"
    "\"item\"}},"
    "\"Instance\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceId\":{\"shape\":\"String\",\"locationName\":\"instanceId\"},"
    "  \"InstanceType\":{\"shape\":\"String\",\"locationName\":\"instanceType\"},"
    "  \"LaunchTime\":{\"shape\":\"DateTime\",\"locationName\":\"launchTime\"},"
    "  \"Placement\":{\"shape\":\"Placement\",\"locationName\":\"placement\"},"
    "  \"PrivateDnsName\":{\"shape\":\"String\",\"locationName\":\"privateDnsName\"},"
    "  \"PrivateIpAddress\":{\"shape\":\"String\",\"locationName\":\"privateIpAddress\"},"
    "  \"State\":{\"shape\":\"InstanceState\",\"locationName\":\"instanceState\"},"
    "  \"SubnetId\":{\"shape\":\"String\",\"locationName\":\"subnetId\"},"
    "  \"ClientToken\":{\"shape\":\"String\",\"locationName\":\"clientToken\"},"
    "  \"InstanceLifecycle\":{\"shape\":\"String\",\"locationName\":\"instanceLifecycle\"},"
    "  \"SpotInstanceRequestId\":{\"shape\":\"String\",\"locationName\":\"spotInstanceRequestId\"},"
    "  \"Tags\":{\"shape\":\"TagList\",\"locationName\":\"tagSet\"}}},"
    "\"Placement\":{\"type\":\"structure\",\"members\":{"
    "  \"AvailabilityZone\":{\"shape\":\"String\",\"locationName\":\"availabilityZone\"}}},"
    "\"InstanceState\":{\"type\":\"structure\",\"members\":{"
    "  \"Code\":{\"shape\":\"Integer\",\"locationName\":\"code\"},"
    "  \"Name\":{\"shape\":\"String\",\"locationName\":\"name\"}}},"
    "\"DescribeInstancesRequest\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceIds\":{\"shape\":\"InstanceIdStringList\",\"locationName\":\"InstanceId\"},"
    "  \"Filters\":{\"shape\":\"FilterList\",\"locationName\":\"Filter\"},"
    "  \"MaxResults\":{\"shape\":\"Integer\",\"locationName\":\"maxResults\"},"
    "  \"NextToken\":{\"shape\":\"String\",\"locationName\":\"nextToken\"}}},"
    "\"InstanceIdStringList\":{\"type\":\"list\",\"member\":{\"shape\":\"String\",\"locationName\":"
    "\"InstanceId\"}},"
    "\"FilterList\":{\"type\":\"list\",\"member\":{\"shape\":\"Filter\",\"locationName\":"
    "\"Filter\"}},"
    "\"Filter\":{\"type\":\"structure\",\"members\":{"
    "  \"Name\":{\"shape\":\"String\"},"
    "  \"Values\":{\"shape\":\"ValueStringList\",\"locationName\":\"Value\"}}},"
    "\"ValueStringList\":{\"type\":\"list\",\"member\":{\"shape\":\"String\",\"locationName\":"
    "\"item\"}},"
    "\"DescribeInstancesResult\":{\"type\":\"structure\",\"members\":{"
    "  \"Reservations\":{\"shape\":\"ReservationList\",\"locationName\":\"reservationSet\"},"
    "  \"NextToken\":{\"shape\":\"String\",\"locationName\":\"nextToken\"}}},"
    "\"ReservationList\":{\"type\":\"list\",\"member\":{\"shape\":\"Reservation\",\"locationName\":"
    "\"item\"}},"
    "\"TerminateInstancesRequest\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceIds\":{\"shape\":\"InstanceIdStringList\",\"locationName\":\"InstanceId\"}}},"
    "\"TerminateInstancesResult\":{\"type\":\"structure\",\"members\":{"
    "  "
    "\"TerminatingInstances\":{\"shape\":\"InstanceStateChangeList\",\"locationName\":"
    "\"instancesSet\"}}},"
    "\"InstanceStateChangeList\":{\"type\":\"list\",\"member\":{\"shape\":\"InstanceStateChange\","
    "\"locationName\":\"item\"}},"
    "\"InstanceStateChange\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceId\":{\"shape\":\"String\",\"locationName\":\"instanceId\"},"
    "  \"CurrentState\":{\"shape\":\"InstanceState\",\"locationName\":\"currentState\"},"
    "  \"PreviousState\":{\"shape\":\"InstanceState\",\"locationName\":\"previousState\"}}},"
    "\"DescribeInstanceTypesRequest\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceTypes\":{\"shape\":\"TypeNameList\",\"locationName\":\"InstanceType\"},"
    "  \"MaxResults\":{\"shape\":\"Integer\"},\"NextToken\":{\"shape\":\"String\"}}},"
    "\"TypeNameList\":{\"type\":\"list\",\"member\":{\"shape\":\"String\"}},"
    "\"DescribeInstanceTypesResult\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceTypes\":{\"shape\":\"InstanceTypeInfoList\",\"locationName\":"
    "\"instanceTypeSet\"},"
    "  \"NextToken\":{\"shape\":\"String\",\"locationName\":\"nextToken\"}}},"
    "\"InstanceTypeInfoList\":{\"type\":\"list\",\"member\":{\"shape\":\"InstanceTypeInfo\","
    "\"locationName\":\"item\"}},"
    "\"InstanceTypeInfo\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceType\":{\"shape\":\"String\",\"locationName\":\"instanceType\"},"
    "  \"VCpuInfo\":{\"shape\":\"VCpuInfo\",\"locationName\":\"vCpuInfo\"},"
    "  \"MemoryInfo\":{\"shape\":\"MemoryInfo\",\"locationName\":\"memoryInfo\"}}},"
    "\"VCpuInfo\":{\"type\":\"structure\",\"members\":{"
    "  \"DefaultVCpus\":{\"shape\":\"Integer\",\"locationName\":\"defaultVCpus\"}}},"
    "\"MemoryInfo\":{\"type\":\"structure\",\"members\":{"
    "  \"SizeInMiB\":{\"shape\":\"Long\",\"locationName\":\"sizeInMiB\"}}},"
    "\"DescribeSpotPriceHistoryRequest\":{\"type\":\"structure\",\"members\":{"
    "  \"InstanceTypes\":{\"shape\":\"TypeNameList\",\"locationName\":\"InstanceType\"},"
    "  \"ProductDescriptions\":{\"shape\":\"TypeNameList\",\"locationName\":"
    "\"ProductDescription\"},"
    "  \"StartTime\":{\"shape\":\"DateTime\",\"locationName\":\"startTime\"},"
    "  \"MaxResults\":{\"shape\":\"Integer\",\"locationName\":\"maxResults\"},"
    "  \"NextToken\":{\"shape\":\"String\",\"locationName\":\"nextToken\"}}},"
    "\"DescribeSpotPriceHistoryResult\":{\"type\":\"structure\",\"members\":{"
    "  \"SpotPriceHistory\":{\"shape\":\"SpotPriceList\",\"locationName\":"
    "\"spotPriceHistorySet\"},"
    "  \"NextToken\":{\"shape\":\"String\",\"locationName\":\"nextToken\"}}},"
    "\"SpotPriceList\":{\"type\":\"list\",\"member\":{\"shape\":\"SpotPrice\","
    "\"locationName\":\"item\"}},"
    "\"SpotPrice\":{\"type\":\"structure\",\"members\":{"
    "  \"AvailabilityZone\":{\"shape\":\"String\",\"locationName\":\"availabilityZone\"},"
    "  \"InstanceType\":{\"shape\":\"String\",\"locationName\":\"instanceType\"},"
    "  \"SpotPrice\":{\"shape\":\"String\",\"locationName\":\"spotPrice\"},"
    "  \"Timestamp\":{\"shape\":\"DateTime\",\"locationName\":\"timestamp\"}}},"
    "\"String\":{\"type\":\"string\"},\"Integer\":{\"type\":\"integer\"},"
    "\"Long\":{\"type\":\"long\"},\"DateTime\":{\"type\":\"timestamp\"}"
    "}";

static const char sns_model[] =
    "{"
    "\"PublishInput\":{\"type\":\"structure\",\"members\":{"
    "  \"TopicArn\":{\"shape\":\"String\"},\"TargetArn\":{\"shape\":\"String\"},"
    "  \"Message\":{\"shape\":\"String\"},\"Subject\":{\"shape\":\"String\"},"
    "  \"MessageStructure\":{\"shape\":\"String\"},"
    "  \"MessageAttributes\":{\"shape\":\"MessageAttributeMap\"}}},"
    "\"MessageAttributeMap\":{\"type\":\"map\","
    "  \"key\":{\"shape\":\"String\",\"locationName\":\"Name\"},"
    "  \"value\":{\"shape\":\"MessageAttributeValue\",\"locationName\":\"Value\"}},"
    "\"MessageAttributeValue\":{\"type\":\"structure\",\"members\":{"
    "  \"DataType\":{\"shape\":\"String\"},\"StringValue\":{\"shape\":\"String\"}}},"
    "\"PublishResponse\":{\"type\":\"structure\",\"members\":{"
    "  \"MessageId\":{\"shape\":\"String\"}}},"
    "\"String\":{\"type\":\"string\"}"
    "}";

static const char cloudwatch_model[] =
    "{"
    "\"PutMetricDataInput\":{\"type\":\"structure\",\"members\":{"
    "  \"Namespace\":{\"shape\":\"String\"},\"MetricData\":{\"shape\":\"MetricData\"}}},"
    "\"MetricData\":{\"type\":\"list\",\"member\":{\"shape\":\"MetricDatum\"}},"
    "\"MetricDatum\":{\"type\":\"structure\",\"members\":{"
    "  \"MetricName\":{\"shape\":\"String\"},\"Dimensions\":{\"shape\":\"Dimensions\"},"
    "  \"Timestamp\":{\"shape\":\"Timestamp\"},\"Value\":{\"shape\":\"Double\"},"
    "  \"Unit\":{\"shape\":\"String\"},\"StorageResolution\":{\"shape\":\"Integer\"}}},"
    "\"Dimensions\":{\"type\":\"list\",\"member\":{\"shape\":\"Dimension\"}},"
    "\"Dimension\":{\"type\":\"structure\",\"members\":{"
    "  \"Name\":{\"shape\":\"String\"},\"Value\":{\"shape\":\"String\"}}},"
    "\"String\":{\"type\":\"string\"},\"Double\":{\"type\":\"double\"},"
    "\"Integer\":{\"type\":\"integer\"},\"Timestamp\":{\"type\":\"timestamp\"}"
    "}";

const struct nf_aws_service nf_aws_ec2 = {.env_id = "EC2",
                                          .endpoint_prefix = "ec2",
                                          .signing_name = "ec2",
                                          .protocol = NF_AWS_EC2,
                                          .api_version = "2016-11-15",
                                          .model = ec2_model};
const struct nf_aws_service nf_aws_sns = {.env_id = "SNS",
                                          .endpoint_prefix = "sns",
                                          .signing_name = "sns",
                                          .protocol = NF_AWS_QUERY,
                                          .api_version = "2010-03-31",
                                          .model = sns_model};
const struct nf_aws_service nf_aws_cloudwatch = {.env_id = "CLOUDWATCH",
                                                 .endpoint_prefix = "monitoring",
                                                 .signing_name = "monitoring",
                                                 .protocol = NF_AWS_QUERY,
                                                 .api_version = "2010-08-01",
                                                 .model = cloudwatch_model};
const struct nf_aws_service nf_aws_dynamodb = {.env_id = "DYNAMODB",
                                               .endpoint_prefix = "dynamodb",
                                               .signing_name = "dynamodb",
                                               .protocol = NF_AWS_JSON,
                                               .api_version = "2012-08-10",
                                               .content_type = "application/x-amz-json-1.0",
                                               .target_prefix = "DynamoDB_20120810"};
const struct nf_aws_service nf_aws_sqs = {.env_id = "SQS",
                                          .endpoint_prefix = "sqs",
                                          .signing_name = "sqs",
                                          .protocol = NF_AWS_JSON,
                                          .api_version = "2012-11-05",
                                          .content_type = "application/x-amz-json-1.0",
                                          .target_prefix = "AmazonSQS"};
const struct nf_aws_service nf_aws_secretsmanager = {.env_id = "SECRETS_MANAGER",
                                                     .endpoint_prefix = "secretsmanager",
                                                     .signing_name = "secretsmanager",
                                                     .protocol = NF_AWS_JSON,
                                                     .api_version = "2017-10-17",
                                                     .content_type = "application/x-amz-json-1.1",
                                                     .target_prefix = "secretsmanager"};
const struct nf_aws_service nf_aws_ssm = {.env_id = "SSM",
                                          .endpoint_prefix = "ssm",
                                          .signing_name = "ssm",
                                          .protocol = NF_AWS_JSON,
                                          .api_version = "2014-11-06",
                                          .content_type = "application/x-amz-json-1.1",
                                          .target_prefix = "AmazonSSM"};

static pthread_mutex_t model_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const struct nf_aws_service *svc;
    json_t *model;
} cache[8];

const json_t *nf_aws_model(const struct nf_aws_service *svc)
{
    if (svc->model == NULL)
        return NULL;
    pthread_mutex_lock(&model_mu);
    json_t *found = NULL;
    size_t i = 0;
    for (; i < sizeof cache / sizeof cache[0] && cache[i].svc; i++)
        if (cache[i].svc == svc)
            found = cache[i].model;
    if (found == NULL && i < sizeof cache / sizeof cache[0]) {
        /* the models are constants of this file: a parse failure is a broken build */
        found = json_loads(svc->model, 0, NULL);
        cache[i].svc = svc;
        cache[i].model = found;
    }
    pthread_mutex_unlock(&model_mu);
    return found;
}

void nf_aws_models_free(void)
{
    pthread_mutex_lock(&model_mu);
    for (size_t i = 0; i < sizeof cache / sizeof cache[0]; i++) {
        json_decref(cache[i].model);
        cache[i].model = NULL;
        cache[i].svc = NULL;
    }
    pthread_mutex_unlock(&model_mu);
    nf_crypto_unload();
    nf_xml_cache_free();
}
