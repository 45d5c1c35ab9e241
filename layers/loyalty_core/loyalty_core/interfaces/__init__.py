"""The partner interfaces: one folder each (HTTP edge and codec), and what they share.

They use one Powertools resolver, the REST one, imported from its own module. Two package
`__init__`s of Powertools do not run (`imports.defer_init`): `event_handler`'s, which
imports every resolver (AppSync with asyncio, Bedrock, VPC Lattice, ...), and
`utilities.data_classes`', which imports the event classes of forty AWS services: the
REST resolver takes seven of them, from the modules that define them.
"""

from loyalty_core.imports import defer_init

EVENT_CLASSES_THE_RESOLVER_USES = {
    "ALBEvent": "alb_event",
    "APIGatewayProxyEvent": "api_gateway_proxy_event",
    "APIGatewayProxyEventV2": "api_gateway_proxy_event",
    "BedrockAgentEvent": "bedrock_agent_event",
    "LambdaFunctionUrlEvent": "lambda_function_url_event",
    # Not the resolver's: `sqs_event`, which Powertools' batch processing imports (the
    # webhook functions), takes it from the package.
    "S3Event": "s3_event",
    "VPCLatticeEvent": "vpc_lattice",
    "VPCLatticeEventV2": "vpc_lattice",
}

defer_init("aws_lambda_powertools.event_handler")
defer_init("aws_lambda_powertools.utilities.data_classes", EVENT_CLASSES_THE_RESOLVER_USES)
