import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DnsValidatedCertificateArgs {
    readonly domainName: pulumi.Input<string>;
    /** The zone that holds the validation record. */
    readonly zoneId: pulumi.Input<string>;
    /**
     * Validation records that already exist for the name: ACM gives a domain the same validation
     * CNAME in every region of an account, so only one certificate writes it. Unset: written here.
     */
    readonly validationRecordFqdns?: pulumi.Input<pulumi.Input<string>[]>;
    readonly tags: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * An ACM certificate of one name, DNS-validated: `<name>-cert`, its validation `<name>-cert`,
 * and, unless the records exist, the CNAME ACM asks for (`<name>-cert-validation`). The region
 * is the provider's (CloudFront's certificates: us-east-1). Resolves once ACM has issued it.
 */
export function dnsValidatedCertificate(name: string, args: DnsValidatedCertificateArgs, opts: pulumi.CustomResourceOptions): { certificateArn: pulumi.Output<string>; validationRecordFqdns: pulumi.Input<pulumi.Input<string>[]> } {
    const certificate = new aws.acm.Certificate(`${name}-cert`, { domainName: args.domainName, validationMethod: "DNS", tags: args.tags }, opts);
    const option = certificate.domainValidationOptions.apply((options) => options[0]);
    const validationRecordFqdns = args.validationRecordFqdns ?? pulumi.output([new aws.route53.Record(`${name}-cert-validation`, {
        zoneId: args.zoneId,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 60,
    }, { parent: opts.parent }).fqdn]);
    const validation = new aws.acm.CertificateValidation(`${name}-cert`, { certificateArn: certificate.arn, validationRecordFqdns }, opts);
    return { certificateArn: validation.certificateArn, validationRecordFqdns };
}
