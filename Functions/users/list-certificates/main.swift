import Certificates
import Runtime

Function.run(ListMyCertificates.endpoint)
