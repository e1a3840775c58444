import Media
import Runtime

Function.run(UploadContent.endpoint)
