/* bench_aws.c - the client-side cost of one DescribeInstances round trip, no network:
 * serialise the pool's filtered request, sign it (SigV4), then parse an answer listing the
 * pool's instances into the result the EC2 adapter reads. The figure bounds what AWS calls
 * cost nodefleet's CPU on top of the network. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "util/parse.h"
#include "util/clock.h"

/* One instance as EC2 describes it (the fields of the API reference's example answer,
 * five tags, one network interface), about 2.5 KB. */
static void instance_xml(struct nf_buf *b, int i)
{
    char x[4096];
    int n = snprintf(
        x, sizeof x,
        "<item><instanceId>i-0%016x</instanceId><imageId>ami-0abcdef1234567890</imageId>"
        "<instanceState><code>16</code><name>running</name></instanceState>"
        "<privateDnsName>ip-10-0-%d-%d.ec2.internal</privateDnsName><dnsName/>"
        "<reason/><keyName>ops</keyName><amiLaunchIndex>0</amiLaunchIndex><productCodes/>"
        "<instanceType>t3.large</instanceType><launchTime>2026-11-29T10:%02d:00.000Z</launchTime>"
        "<placement><availabilityZone>us-east-1%c</availabilityZone><groupName/>"
        "<tenancy>default</tenancy></placement><monitoring><state>disabled</state></monitoring>"
        "<subnetId>subnet-0%08x</subnetId><vpcId>vpc-0a1b2c3d4e5f60708</vpcId>"
        "<privateIpAddress>10.0.%d.%d</privateIpAddress><sourceDestCheck>true</sourceDestCheck>"
        "<groupSet><item><groupId>sg-0123456789abcdef0</groupId><groupName>k3s-workers</groupName>"
        "</item></groupSet><architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType>"
        "<rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping><item><deviceName>/dev/xvda"
        "</deviceName><ebs><volumeId>vol-0%016x</volumeId><status>attached</status><attachTime>"
        "2026-11-29T10:00:01.000Z</attachTime><deleteOnTermination>true</deleteOnTermination></ebs>"
        "</item></blockDeviceMapping>%s<virtualizationType>hvm</virtualizationType><clientToken>"
        "nf-up-%d</clientToken><tagSet><item><key>Name</key><value>nodefleet-prod-worker</value>"
        "</item><item><key>Role</key><value>k3s-worker</value></item><item><key>nodefleet:cluster"
        "</key><value>prod</value></item><item><key>nodefleet:intent</key><value>up-%d</value>"
        "</item><item><key>nodefleet:market</key><value>%s</value></item></tagSet><hypervisor>"
        "xen</hypervisor><networkInterfaceSet><item><networkInterfaceId>eni-0%016x"
        "</networkInterfaceId><subnetId>subnet-0%08x</subnetId><vpcId>vpc-0a1b2c3d4e5f60708"
        "</vpcId><status>in-use</status><privateIpAddress>10.0.%d.%d</privateIpAddress>"
        "<sourceDestCheck>true</sourceDestCheck><attachment><attachmentId>eni-attach-0%08x"
        "</attachmentId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>"
        "2026-11-29T10:00:00.000Z</attachTime><deleteOnTermination>true</deleteOnTermination>"
        "</attachment></item></networkInterfaceSet><ebsOptimized>false</ebsOptimized>"
        "<enaSupport>true</enaSupport><cpuOptions><coreCount>1</coreCount><threadsPerCore>2"
        "</threadsPerCore></cpuOptions><metadataOptions><state>applied</state><httpTokens>"
        "required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit>"
        "<httpEndpoint>enabled</httpEndpoint></metadataOptions></item>",
        0x1234 + i, i % 3, 10 + i, i % 60, 'a' + i % 3, 0xabc0 + i % 3, i % 3, 10 + i, 0x9000 + i,
        i % 3 ? "<instanceLifecycle>spot</instanceLifecycle>" : "", i, i,
        i % 3 ? "spot" : "on-demand", 0x5000 + i, 0xabc0 + i % 3, i % 3, 10 + i, 0x7000 + i);
    nf_buf_append(b, x, (size_t)n);
}

/* The index of the median of v[n] (n odd). */
static int median_index(const double *v, int n)
{
    for (int i = 0; i < n; i++) {
        int below = 0, equal = 0;
        for (int k = 0; k < n; k++) {
            below += v[k] < v[i];
            equal += v[k] == v[i];
        }
        if (below <= n / 2 && below + equal > n / 2)
            return i;
    }
    return 0;
}

static void answer(struct nf_buf *b, int instances)
{
    static const char head[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse "
        "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>"
        "8f7724cf-496f-496e-8fe3-example</requestId><reservationSet>";
    nf_buf_append(b, head, sizeof head - 1);
    for (int i = 0; i < instances; i++) {
        static const char r[] = "<item><reservationId>r-0123456789abcdef0</reservationId>"
                                "<ownerId>123456789012</ownerId><groupSet/><instancesSet>";
        nf_buf_append(b, r, sizeof r - 1);
        instance_xml(b, i);
        static const char e[] = "</instancesSet></item>";
        nf_buf_append(b, e, sizeof e - 1);
    }
    static const char tail[] = "</reservationSet></DescribeInstancesResponse>";
    nf_buf_append(b, tail, sizeof tail - 1);
}

int main(int argc, char **argv)
{
    long long only = -1; /* argv[1]: one answer size (instances), for profiling or --dump */
    const char *why = NULL;
    if (argc > 1 &&
        (nf_parse_ll(argv[1], strlen(argv[1]), &only, &why) != NF_OK || only < 1 || only > 1000)) {
        fprintf(stderr, "bench_aws: %s: not a whole number of instances from 1 to 1000%s%s\n",
                argv[1], why ? ": " : "", why ? why : "");
        return 2;
    }
    static char *envp[] = {"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", NULL};
    struct nf_aws_client c;
    struct nf_err err;
    if (nf_aws_client_init(&c, "us-east-1", envp, &err) != NF_OK) {
        fprintf(stderr, "bench_aws: %s\n", err.msg);
        return 1;
    }
    struct nf_aws_credentials cr = {.access_key_id = "AKIDEXAMPLE",
                                    .secret_access_key =
                                        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    static const struct nf_aws_op op = {"DescribeInstances", "DescribeInstancesRequest",
                                        "DescribeInstancesResult"};
    json_t *params =
        json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}, {s:s, s:[s, s, s, s]}], s:i}", "Filters", "Name",
                  "tag:nodefleet:cluster", "Values", "prod", "Name", "tag:Role", "Values",
                  "k3s-worker", "Name", "instance-state-name", "Values", "pending", "running",
                  "stopping", "stopped", "MaxResults", 500);
    int status = 0;
    static const int sizes[] = {1, 10, 50};
    if (argc > 2 && strcmp(argv[2], "--dump") == 0) { /* the answer, for other tools */
        struct nf_buf body;
        nf_buf_init(&body, 1 << 24);
        answer(&body, (int)only);
        fwrite(body.data, 1, body.len, stdout);
        nf_buf_free(&body);
        json_decref(params);
        nf_aws_client_free(&c);
        return 0;
    }
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        if (only > 0 && only != sizes[s]) /* one size only, for profiling */
            continue;
        struct nf_buf body;
        nf_buf_init(&body, 1 << 24);
        answer(&body, sizes[s]);
        /* this machine shares its cores: time BATCHES batches and report the median batch */
        enum { BATCHES = 9 };
        const int n = sizes[s] == 50 ? 300 : 3000;
        double build[BATCHES], parse[BATCHES], xml[BATCHES], total[BATCHES];
        for (int b = 0; b < BATCHES; b++) {
            build[b] = parse[b] = xml[b] = 0;
            size_t seen = 0;
            for (int i = 0; i < n; i++) {
                struct nf_aws_request rq;
                double t0 = nf_mono_now();
                if (nf_aws_build(&c, &nf_aws_ec2, &op, params, &cr, 1764400000 + i, 1, &rq, &err) !=
                    NF_OK) {
                    fprintf(stderr, "bench_aws: %s\n", err.msg);
                    return 1;
                }
                double t1 = nf_mono_now();
                json_t *res = NULL;
                struct nf_aws_error ae;
                if (nf_aws_parse(&nf_aws_ec2, &op, 200, NULL, body.data, body.len, &res, &ae,
                                 &err) != NF_OK) {
                    fprintf(stderr, "bench_aws: %s\n", err.msg);
                    return 1;
                }
                double t2 = nf_mono_now();
                seen += json_array_size(json_object_get(res, "Reservations"));
                json_decref(res);
                nf_aws_request_free(&rq);
                build[b] += t1 - t0;
                parse[b] += t2 - t1;
            }
            if (seen != (size_t)n * sizes[s])
                status = 1;
            /* of the parse: reading the XML alone */
            for (int i = 0; i < n; i++) {
                struct nf_xml_doc d;
                double t0 = nf_mono_now();
                if (nf_xml_parse(body.data, body.len, &d, &err) != NF_OK)
                    return 1;
                nf_xml_free(&d);
                xml[b] += nf_mono_now() - t0;
            }
            total[b] = build[b] + parse[b];
        }
        int m = median_index(total, BATCHES);
        double best = total[0];
        for (int b = 1; b < BATCHES; b++)
            best = total[b] < best ? total[b] : best;
        printf("DescribeInstances client side, %2d instances (%3zu KB answer): %.1f us per call, "
               "best batch %.1f us (serialise + sign %.1f us, parse %.1f us of which XML %.1f us; "
               "median of %d batches of %d)%s\n",
               sizes[s], body.len / 1024, total[m] / n * 1e6, best / n * 1e6, build[m] / n * 1e6,
               parse[m] / n * 1e6, xml[m] / n * 1e6, BATCHES, n,
               sizes[s] == 1 ? "   [< 20 us]" : "");
        nf_buf_free(&body);
    }
    json_decref(params);
    nf_aws_client_free(&c);
    nf_aws_models_free();
    return status;
}
