import Media
import Runtime

Function.run(CreateUpload.endpoint)
