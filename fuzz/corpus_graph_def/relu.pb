

xPlaceholder

yRelux"